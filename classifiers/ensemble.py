"""The shipped model: the transformer plus a character n-gram second opinion.

Measured on the dev split, the two make different mistakes: the from-scratch transformer is
best on Vietnamese with diacritics, the char n-gram model on text typed without them and on
English. Averaging their calibrated probabilities (equal weights, fixed before looking at
the result, so nothing is tuned to dev) beats either alone, for well under a millisecond
more per report. The n-gram head lives in ``<model_dir>/ngram/`` and is switched on by
``<model_dir>/ensemble.json``, which also holds the mixture's auto-routing threshold.

    python -m classifiers.ensemble --data train.jsonl [voices.jsonl ...] --dev dev.jsonl [...] --model DIR

adds (or refits) the head of an existing model directory; ``classifiers.train --ngram-head``
does the same at the end of training.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from classifiers.base import Prediction, predictions_from_probabilities
from classifiers.baseline import TfidfClassifier
from classifiers.calibration import calibrated_probabilities, fit_temperature, pick_threshold
from classifiers.dataset import read_jsonl, variants_of
from classifiers.metrics import report, summary

ENSEMBLE_FILE = "ensemble.json"
NGRAM_DIR = "ngram"


class EnsembleClassifier:
    """Weighted mean of the members' calibrated probabilities, over the first member's labels."""

    def __init__(
        self, members: list, weights: list[float], threshold: float, model_version: str, temperature: float = 1.0
    ) -> None:
        self.labels: list[str] = members[0].labels
        for member in members[1:]:
            if sorted(member.labels) != sorted(self.labels):
                raise ValueError("ensemble members must share one label set")
        self._members = members
        self._weights = np.asarray(weights, dtype=np.float64) / sum(weights)
        self.threshold = threshold
        self.model_version = model_version
        self.temperature = temperature

    def logits(self, texts: list[str]) -> np.ndarray:
        """Log of the weighted mean of the members' calibrated probabilities."""
        mixture = np.zeros((len(texts), len(self.labels)))
        for member, weight in zip(self._members, self._weights, strict=True):
            probabilities = calibrated_probabilities(member.logits(texts), member.temperature)
            mixture += weight * probabilities[:, [member.labels.index(label) for label in self.labels]]
        return np.log(np.clip(mixture, 1e-12, None))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """A mean of calibrated distributions is under-confident, so it gets its own temperature."""
        return calibrated_probabilities(self.logits(texts), self.temperature)

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        return predictions_from_probabilities(self.probabilities(texts), self.labels)


def load_ensemble(model_dir: Path, transformer) -> EnsembleClassifier:
    spec = json.loads((model_dir / ENSEMBLE_FILE).read_text(encoding="utf-8"))
    ngram = TfidfClassifier.load(model_dir / NGRAM_DIR)
    return EnsembleClassifier(
        [transformer, ngram],
        spec["weights"],
        spec["threshold"],
        f"{transformer.model_version}+{ngram.model_version}",
        spec["temperature"],
    )


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
