"""Evaluate a model on any JSONL of reports and print one JSON object.

    python -m classifiers.evaluate --data heldout.jsonl [--model DIR] [--threshold T]

Each line needs ``text`` and ``category``; with a ``variant`` field on every line the
output also has macro_f1_by_variant. The threshold defaults to the model's own
calibration.json value, so auto_route_rate/accuracy say what production would do.
"""

import argparse
import json
import sys

from classifiers.dataset import read_jsonl, variants_of
from classifiers.loader import load_classifier
from classifiers.metrics import report


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--threshold", type=float, default=None)
    args = p.parse_args(argv)
    rows = read_jsonl(args.data)
    classifier = load_classifier(args.model)
    predictions = classifier.predict([r["text"] for r in rows])
    threshold = args.threshold if args.threshold is not None else classifier.threshold
    result = {"model_version": classifier.model_version}
    result.update(report([r["category"] for r in rows], predictions, threshold, variants_of(rows)))
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
