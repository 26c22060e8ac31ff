"""The shipped model at serving time: the transformer plus a character n-gram second opinion.

Measured on the dev split, the two make different mistakes: the from-scratch transformer is
best on Vietnamese with diacritics, the char n-gram model on text typed without them and on
English. Averaging their calibrated probabilities (equal weights, fixed before looking at
the result, so nothing is tuned to dev) beats either alone, for well under a millisecond
more per report. The n-gram head lives in ``<model_dir>/ngram/`` and is switched on by
``<model_dir>/ensemble.json``, which also holds the mixture's auto-routing threshold.

Fitting lives in ``classifiers.ensemble``; this module does not import scikit-learn, so the API
process does not carry it (classifiers/ngram.py says what that saves).
"""

import json
from pathlib import Path

import numpy as np

from classifiers.base import Prediction, predictions_from_probabilities
from classifiers.calibration import calibrated_probabilities
from classifiers.ngram import NgramHead

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
    ngram = NgramHead(model_dir / NGRAM_DIR)
    return EnsembleClassifier(
        [transformer, ngram],
        spec["weights"],
        spec["threshold"],
        f"{transformer.model_version}+{ngram.model_version}",
        spec["temperature"],
    )
