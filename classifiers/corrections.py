"""Measure what a file of staff corrections buys: refit, then compare per category on a held-back slice.

    python -m classifiers.corrections --model DIR --data TRAIN.jsonl [...] --dev DEV.jsonl [...] \
        --corrections CORRECTIONS.jsonl [--holdout SLICE.jsonl] [--json OUT]

Triage staff correct categories every day; the cheap retrain is the n-gram head (30 s on two
cores, the transformer stays as shipped), so that is what this refits: once on ``--data``
alone and once on ``--data`` + ``--corrections``, each mixture recalibrated on ``--dev``, both
scored on ``--holdout`` (reports like the corrected ones, never trained on; without it, every
second line of the corrections file is held back instead of trained on). The output gives
macro-F1 before/after and the F1 gain per category present in the corrections.
"""

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from classifiers.dataset import read_jsonl
from classifiers.ensemble import attach_ngram_head
from classifiers.metrics import report


def refit_and_score(model_dir: Path, train: list[dict], dev: list[dict], holdout: list[dict]) -> dict:
    """A copy of ``model_dir`` with its n-gram head refitted on ``train``; its report on ``holdout``."""
    from classifiers.loader import load_classifier

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "model"
        shutil.copytree(model_dir, copy)
        attach_ngram_head(copy, train, dev)
        classifier = load_classifier.__wrapped__(str(copy))  # no cache: each copy is a different model
        predictions = classifier.predict([r["text"] for r in holdout])
        return report([r["category"] for r in holdout], predictions, classifier.threshold)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a model directory with an n-gram head (ensemble.json)")
    p.add_argument("--data", required=True, nargs="+")
    p.add_argument("--dev", required=True, nargs="+", help="calibration of each refitted mixture")
    p.add_argument("--corrections", required=True)
    p.add_argument("--holdout", default=None, help="reports like the corrected ones (default: every 2nd correction)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    train = [row for path in args.data for row in read_jsonl(path)]
    dev = [row for path in args.dev for row in read_jsonl(path)]
    corrections = read_jsonl(args.corrections)
    if args.holdout:
        holdout = read_jsonl(args.holdout)
    else:
        corrections, holdout = corrections[::2], corrections[1::2]
    before = refit_and_score(Path(args.model), train, dev, holdout)
    after = refit_and_score(Path(args.model), train + corrections, dev, holdout)
    corrected = Counter(r["category"] for r in corrections)
    result = {
        "corrections": len(corrections),
        "holdout": len(holdout),
        "macro_f1_before": round(before["macro_f1"], 4),
        "macro_f1_after": round(after["macro_f1"], 4),
        "per_category": {
            code: {
                "corrections": n,
                "f1_before": round(before["per_category"][code]["f1"], 3),
                "f1_after": round(after["per_category"][code]["f1"], 3),
            }
            for code, n in sorted(corrected.items())
            if code in before["per_category"] and code in after["per_category"]
        },
    }
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
