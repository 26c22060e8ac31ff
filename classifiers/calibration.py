"""Confidence calibration: temperature scaling, the auto-routing threshold, and ECE.

Raw softmax outputs of a fine-tuned network are over-confident; the API compares the
confidence with a threshold to decide between auto-routing and human triage, so the
number must mean "probability of being right". One scalar temperature fitted on the dev
split (Guo et al., 2017) fixes most of that without changing any prediction.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

TARGET_PRECISION = 0.95  # share of auto-routed reports that must be right


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T)."""
    # SciPy only when fitting: the serving path (calibrated_probabilities) must not pay its RSS.
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / np.exp(log_t), axis=1)[np.arange(len(labels)), labels].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def calibrated_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    exponentials = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def pick_threshold(confidences: np.ndarray, correct: np.ndarray, target_precision: float = 0.95) -> float:
    """Smallest threshold t such that predictions with confidence >= t are >= target correct.

    Falls back to the highest confidence (auto-route almost nothing) if no t reaches the target.
    """
    order = np.argsort(-confidences, kind="stable")
    sorted_conf = confidences[order]
    hits = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)  # accuracy of the top-j most confident
    # a cut is only possible where the confidence changes: ties are all in or all out
    at_boundary = np.append(sorted_conf[:-1] > sorted_conf[1:], True)
    ok = np.nonzero((hits >= target_precision) & at_boundary)[0]
    if len(ok) == 0:
        return float(confidences.max())
    return float(sorted_conf[ok.max()])


def pick_threshold_for_groups(
    confidences: np.ndarray, correct: np.ndarray, groups: list[np.ndarray], target_precision: float = 0.95
) -> float:
    """Smallest threshold at which EVERY group (an index array into the dev rows) reaches the target.

    One threshold fitted on the pooled dev can meet the target there while its hardest part
    (S1 + S2, the voices furthest from training) stays under it; asking each group to meet it
    gives the max of the per-group ``pick_threshold`` values whenever each group's accuracy
    above t rises with t, and stays exact when it does not. A group with nothing above t is
    not a constraint. One group gives ``pick_threshold``'s answer.
    """
    candidates = np.unique(confidences)  # ascending: the first that satisfies every group wins
    feasible = np.ones(len(candidates), dtype=bool)
    for group in groups:
        order = np.argsort(confidences[group], kind="stable")
        sorted_conf, sorted_correct = confidences[group][order], correct[group][order]
        first = np.searchsorted(sorted_conf, candidates, side="left")  # rows >= t start here
        hits_from = np.append(np.cumsum(sorted_correct[::-1])[::-1], 0.0)
        count = len(sorted_conf) - first
        accuracy = np.divide(hits_from[first], count, out=np.ones(len(candidates)), where=count > 0)
        feasible &= accuracy >= target_precision
    if not feasible.any():
        return float(confidences.max())
    return float(candidates[feasible][0])


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(confidences, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidences[mask].mean())
    return float(ece)


@dataclass(frozen=True)
class DevCalibration:
    """Temperature and threshold fitted on a dev split, and the calibrated dev probabilities."""

    temperature: float
    threshold: float
    probabilities: np.ndarray
    groups: list[str]

    def fields(self) -> dict[str, Any]:
        """What calibration.json and ensemble.json record of it, in that order."""
        return {
            "temperature": self.temperature,
            "threshold": self.threshold,
            "target_precision": TARGET_PRECISION,
            "fitted_on": self.groups[0],
            "threshold_groups": self.groups,
        }


def calibrate_on_dev(logits: np.ndarray, labels: np.ndarray, groups: dict[str, np.ndarray]) -> DevCalibration:
    """The one rule for every served model (transformer alone and mixture): temperature on the
    whole dev, then the smallest threshold at which every group reaches TARGET_PRECISION."""
    temperature = fit_temperature(logits, labels)
    probabilities = calibrated_probabilities(logits, temperature)
    correct = (probabilities.argmax(1) == labels).astype(float)
    threshold = pick_threshold_for_groups(probabilities.max(1), correct, list(groups.values()), TARGET_PRECISION)
    return DevCalibration(temperature, threshold, probabilities, list(groups))
