"""Fitting the shipped mixture's n-gram head and its calibration (served by classifiers/mixture.py).

    python -m classifiers.ensemble --data train.jsonl [voices.jsonl ...] --dev dev.jsonl [...] --model DIR

adds (or refits) the head of an existing model directory; ``classifiers.train --ngram-head``
does the same at the end of training.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from classifiers.base import predictions_from_probabilities
from classifiers.baseline import TfidfClassifier
from classifiers.calibration import calibrated_probabilities, fit_temperature, pick_threshold
from classifiers.dataset import read_jsonl, variants_of
from classifiers.metrics import report, summary
from classifiers.mixture import ENSEMBLE_FILE, NGRAM_DIR, EnsembleClassifier


def attach_ngram_head(
    model_dir: Path, train_rows: list[dict], dev_rows: list[dict], seed: int = 13, fitted_on: str = "dev"
) -> dict:
    """Fit the n-gram head, save it, fit the mixture's threshold on dev; returns the dev report."""
    from classifiers.transformer import TransformerClassifier

    dev_texts, dev_categories = [r["text"] for r in dev_rows], [r["category"] for r in dev_rows]
    ngram = TfidfClassifier(seed=seed).fit(
        [r["text"] for r in train_rows], [r["category"] for r in train_rows], dev_texts, dev_categories
    )
    ngram.save(model_dir / NGRAM_DIR)
    transformer = TransformerClassifier(model_dir)
    ensemble = EnsembleClassifier([transformer, ngram], [0.5, 0.5], 1.0, "")
    logits = ensemble.logits(dev_texts)
    y = np.array([ensemble.labels.index(c) for c in dev_categories])
    temperature = fit_temperature(logits, y)
    probabilities = calibrated_probabilities(logits, temperature)
    threshold = pick_threshold(
        probabilities.max(1), (probabilities.argmax(1) == y).astype(float), target_precision=0.95
    )
    (model_dir / ENSEMBLE_FILE).write_text(
        json.dumps(
            {
                "members": ["transformer", NGRAM_DIR],
                "weights": [0.5, 0.5],
                "temperature": temperature,
                "threshold": threshold,
                "target_precision": 0.95,
                "fitted_on": fitted_on,
            },
            indent=2,
        )
        + "\n"
    )
    return report(
        dev_categories, predictions_from_probabilities(probabilities, ensemble.labels), threshold, variants_of(dev_rows)
    )


def update_card(model_dir: Path, dev_report: dict) -> None:
    """metrics.json keeps the transformer's own dev figures and adds the shipped mixture's."""
    card_file = model_dir / "metrics.json"
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card.setdefault("dev_transformer_only", card.get("dev"))
    card["dev"] = dev_report
    card["size_bytes"] = sum(f.stat().st_size for f in model_dir.rglob("*") if f.is_file())
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary(dev_report)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, nargs="+", help="training JSONL files (text, category), concatenated")
    p.add_argument(
        "--dev", required=True, nargs="+", help="dev JSONL files: calibration and threshold (the style-shifted dev)"
    )
    p.add_argument("--model", required=True, help="a transformers model directory written by classifiers.train")
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args(argv)
    model_dir = Path(args.model)
    update_card(
        model_dir,
        attach_ngram_head(
            model_dir,
            [row for path in args.data for row in read_jsonl(path)],
            [row for path in args.dev for row in read_jsonl(path)],
            args.seed,
            fitted_on=" + ".join(Path(path).name for path in args.dev),
        ),
    )


if __name__ == "__main__":
    main()
