"""The evaluation report shared by training (metrics.json), the evaluate CLI and the bench.

One function computes every number so the model card, the CLI and the benchmark can
never disagree on what "macro-F1" or "auto-route rate" means.
"""

from collections import Counter

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifiers.base import Prediction
from classifiers.calibration import expected_calibration_error


def macro_f1(true: list[str], predicted: list[str]) -> float:
    """Macro-F1 over the classes present in ``true`` (a subset must not be punished for absent ones)."""
    return float(f1_score(true, predicted, labels=sorted(set(true)), average="macro", zero_division=0))


def report(
    true: list[str],
    predictions: list[Prediction],
    threshold: float,
    variants: list[str] | None = None,
    top_confusions: int = 15,
) -> dict:
    predicted = [p.category for p in predictions]
    confidences = np.array([p.confidence for p in predictions])
    correct = np.array([t == p for t, p in zip(true, predicted, strict=True)], dtype=float)
    labels = sorted(set(true) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0)
    confusions = Counter((t, p) for t, p in zip(true, predicted, strict=True) if t != p)
    routed = confidences >= threshold
    out = {
        "n": len(true),
        "accuracy": float(accuracy_score(true, predicted)),
        "macro_f1": macro_f1(true, predicted),
        "per_category": {
            code: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, code in enumerate(labels)
        },
        "confusion": [{"true": t, "predicted": p, "count": n} for (t, p), n in confusions.most_common(top_confusions)],
        "mean_confidence": float(confidences.mean()),
        "ece": expected_calibration_error(confidences, correct),
        "threshold": float(threshold),
        "auto_route_rate": float(routed.mean()),
        "auto_route_accuracy": float(correct[routed].mean()) if routed.any() else None,
    }
    if variants is not None:
        out["macro_f1_by_variant"] = {
            v: macro_f1(
                [t for t, w in zip(true, variants, strict=True) if w == v],
                [p for p, w in zip(predicted, variants, strict=True) if w == v],
            )
            for v in sorted(set(variants))
        }
    return out


def out_of_domain_report(predictions: list[Prediction], threshold: float, fallback: str = "other") -> dict:
    """For texts that are not reports: how many go to ``other`` (human triage at the citizen
    centre) and how many the API would send to an agency on its own (confident and not ``other``)."""
    to_other = np.array([p.category == fallback for p in predictions], dtype=float)
    confident = np.array([p.confidence >= threshold for p in predictions])
    return {
        "n": len(predictions),
        "to_other": float(to_other.mean()),
        "auto_routed_to_agency": float((confident & (to_other == 0)).mean()),
        "mean_confidence": float(np.mean([p.confidence for p in predictions])),
    }


SUMMARY_KEYS = ("macro_f1", "macro_f1_by_variant", "ece", "threshold", "auto_route_rate", "auto_route_accuracy")


def summary(dev_report: dict) -> dict:
    """The figures a training or head-fitting command prints when it finishes (one JSON line)."""
    return {key: dev_report[key] for key in SUMMARY_KEYS if key in dev_report}
