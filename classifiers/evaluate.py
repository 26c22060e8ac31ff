"""Evaluate a model on any JSONL of reports, or on every split we keep, and print JSON.

    python -m classifiers.evaluate --data heldout.jsonl [--model DIR] [--threshold T]
    python -m classifiers.evaluate --splits [--model DIR]

Each line needs ``text`` and ``category``; with a ``variant`` field on every line the
output also has macro_f1_by_variant. The threshold defaults to the model's own
calibration value, so auto_route_rate/accuracy say what production would do.

``--splits`` prints one summary per split in ``SPLITS``: the old dev (same authors as
train), the style-shifted dev (other voices, D1+D2+S1+S2; it chose the model, temperature and
threshold, so it is optimistic), its S1+S2 part alone (the voices written last, furthest from
training: the old default's figures there came closest to the hidden real set's), the
held-out test (20 personas, never tuned on) and the out-of-domain files (non-reports: share
sent to ``other``, share auto-routed to an agency).
"""

import argparse
import json
import sys
from pathlib import Path

from classifiers.dataset import read_jsonl, variants_of
from classifiers.loader import load_classifier
from classifiers.metrics import out_of_domain_report, report

DATA = Path(__file__).resolve().parent / "data"
SPLITS = {
    "dev_old": [DATA / "dev.jsonl"],
    "dev_shifted": [DATA / "shifted" / f"dev_{name}.jsonl" for name in ("d1", "d2", "s1", "s2")],
    "dev_strangers": [DATA / "shifted" / "dev_s1.jsonl", DATA / "shifted" / "dev_s2.jsonl"],
    "test_heldout": [DATA / "heldout" / "test_h.jsonl"],
}
OOD = [DATA / "shifted" / "ood_d1.jsonl", DATA / "shifted" / "ood_s1.jsonl"]
SUMMARY_KEYS = ("n", "macro_f1", "accuracy", "auto_route_rate", "auto_route_accuracy", "ece", "macro_f1_by_variant")


def evaluate_splits(classifier, threshold: float | None = None) -> dict:
    """Summary figures of ``classifier`` on every split and on the out-of-domain file."""
    threshold = classifier.threshold if threshold is None else threshold
    out = {}
    for name, files in SPLITS.items():
        rows = [row for path in files for row in read_jsonl(path)]
        scores = report(
            [r["category"] for r in rows], classifier.predict([r["text"] for r in rows]), threshold, variants_of(rows)
        )
        out[name] = {key: scores[key] for key in SUMMARY_KEYS if key in scores}
    ood = [row for path in OOD for row in read_jsonl(path)]
    out["ood"] = out_of_domain_report(classifier.predict([r["text"] for r in ood]), threshold)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--data")
    target.add_argument("--splits", action="store_true", help="every split we keep, one summary each")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--threshold", type=float, default=None)
    args = p.parse_args(argv)
    classifier = load_classifier(args.model)
    threshold = args.threshold if args.threshold is not None else classifier.threshold
    result = {"model_version": classifier.model_version, "threshold": threshold}
    if args.splits:
        result.update(evaluate_splits(classifier, threshold))
    else:
        rows = read_jsonl(args.data)
        predictions = classifier.predict([r["text"] for r in rows])
        result.update(report([r["category"] for r in rows], predictions, threshold, variants_of(rows)))
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
