"""Classify a report's text and decide where it goes, off the event loop.

The model is CPU-bound (a few ms per text): it runs in a worker thread under a limiter so a
burst of reports cannot starve the event loop, and the routing rule itself is pure data
(classifiers/routing/rules.py).
"""

from dataclasses import dataclass
from typing import Any

import anyio

from classifiers.base import Classifier
from classifiers.routing.rules import RoutingDecision, route
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import Ward


@dataclass(frozen=True)
class Assessment:
    classification: dict[str, Any]
    routing: RoutingDecision
    ward: Ward

    def routing_document(self) -> dict[str, Any]:
        suggestions = [] if self.routing.auto_routed else self.classification["top_k"]
        return {"agency": self.routing.agency, "agency_name": self.routing.agency_name,
                "category": self.routing.category, "reason": self.routing.reason,
                "ward": {"code": self.ward.code, "name": self.ward.name}, "suggestions": suggestions}


class ReportClassifier:
    def __init__(self, classifier: Classifier, taxonomy: Taxonomy, threshold: float, limiter: anyio.CapacityLimiter) -> None:
        self._classifier = classifier
        self._taxonomy = taxonomy
        self.threshold = threshold
        self._limiter = limiter

    async def assess(self, text: str, resident_pick: str | None, ward: Ward) -> Assessment:
        prediction = (await anyio.to_thread.run_sync(self._classifier.predict, [text], limiter=self._limiter))[0]
        classification = {
            "category": prediction.category, "confidence": round(prediction.confidence, 4),
            "top_k": [{"category": code, "confidence": round(p, 4)} for code, p in prediction.top_k],
            "model_version": self._classifier.model_version,
        }
        decision = route(prediction, resident_pick, ward, self._taxonomy, self.threshold)
        return Assessment(classification=classification, routing=decision, ward=ward)
