"""The contract between the report classifier and the rest of the backend.

The API only needs a category, a probability it can compare with the auto-routing
threshold, and the top suggestions to show triage staff; any model family (transformer,
TF-IDF baseline) satisfies it, so the API never imports torch or sklearn directly.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from classifiers.calibration import calibrated_probabilities


@dataclass(frozen=True)
class Prediction:
    category: str
    confidence: float  # calibrated probability that ``category`` is right (temperature-scaled)
    top_k: list[tuple[str, float]]  # (category, probability), most likely first; top_k[0] == (category, confidence)


@runtime_checkable
class Classifier(Protocol):
    model_version: str
    labels: list[str]
    threshold: float  # default auto-routing threshold fitted with the model (the API may override it)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """One prediction per text, in order. Batched internally and safe to call from several threads."""
        ...


def predictions_from_probabilities(probabilities, labels: list[str], k: int = 3) -> list[Prediction]:
    """Turn an (n, n_labels) array of calibrated probabilities into Predictions."""
    out = []
    for row in probabilities:
        order = row.argsort()[::-1][:k]
        top = [(labels[i], float(row[i])) for i in order]
        out.append(Prediction(category=top[0][0], confidence=top[0][1], top_k=top))
    return out


class ScoresTexts(Protocol):
    """A model that gives logits and carries its own temperature (transformer, n-gram head)."""

    labels: list[str]
    temperature: float

    def logits(self, texts: list[str]) -> np.ndarray: ...


def calibrated_predictions(model: ScoresTexts, texts: list[str]) -> list[Prediction]:
    """``predict`` of a single model: its logits, its temperature, its top 3."""
    if not texts:
        return []
    return predictions_from_probabilities(
        calibrated_probabilities(model.logits(texts), model.temperature), model.labels
    )


def weights_digest(path: Path) -> str:
    """Eight hex digits of a weights file's SHA-256, appended to a model's version.

    Reports record the version that classified them; two trainings on the same day with the
    same seed (or a head refitted by the corrections loop) give different weights and must not
    share one."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
