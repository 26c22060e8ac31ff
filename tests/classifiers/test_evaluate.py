"""The out-of-domain figures that ``classifiers.evaluate --splits`` and the bench report."""

import pytest

from classifiers.base import Prediction
from classifiers.evaluate import OOD, SPLITS
from classifiers.metrics import out_of_domain_report


def prediction(category: str, confidence: float) -> Prediction:
    return Prediction(category=category, confidence=confidence, top_k=[(category, confidence)])


def test_out_of_domain_counts_other_and_confident_agency_routes() -> None:
    predictions = [
        prediction("other", 0.9),
        prediction("other", 0.2),
        prediction("noise", 0.8),
        prediction("noise", 0.3),
    ]
    result = out_of_domain_report(predictions, threshold=0.5)
    assert result["n"] == 4
    assert result["to_other"] == pytest.approx(0.5)
    assert result["auto_routed_to_agency"] == pytest.approx(0.25)  # only the confident "noise"
    assert result["mean_confidence"] == pytest.approx(0.55)


def test_every_split_file_exists() -> None:
    for path in [p for files in SPLITS.values() for p in files] + OOD:
        assert path.is_file(), path
