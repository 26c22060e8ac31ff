"""Classify a report's text and decide where it goes, off the event loop.

The model is CPU-bound (a few ms per text) and much cheaper per text in batches, so
concurrent reports are micro-batched: the first text of a batch waits ``max_wait_s`` (a few
ms) for others to join, up to ``max_batch``; whatever arrives while a batch runs forms the
next one (a storm of reports shares forward passes). One forward pass at a time, off the event
loop. The routing rule itself is pure data (classifiers/routing/rules.py).
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from classifiers.base import Classifier, Prediction
from classifiers.routing.rules import RoutingDecision, route
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import Ward
from core.batching import MicroBatcher
from core.documents import Classification, Routing


@dataclass(frozen=True)
class Assessment:
    classification: Classification
    routing: RoutingDecision
    ward: Ward

    def routing_document(self) -> Routing:
        suggestions = [] if self.routing.auto_routed else self.classification["top_k"]
        return {
            "agency": self.routing.agency,
            "agency_name": self.routing.agency_name,
            "category": self.routing.category,
            "reason": self.routing.reason,
            "ward": {"code": self.ward.code, "name": self.ward.name},
            "suggestions": suggestions,
        }


def forward_passes(classifier: Classifier) -> Callable[[list[str]], Awaitable[list[Prediction]]]:
    """The model's batched ``predict`` run off the event loop (CPU-bound: a few ms per text)."""

    async def run(texts: list[str]) -> list[Prediction]:
        return await anyio.to_thread.run_sync(classifier.predict, texts)

    return run


class ReportClassifier:
    def __init__(
        self,
        classifier: Classifier,
        taxonomy: Taxonomy,
        threshold: float,
        observe: Callable[[float, float], None] | None = None,
        *,
        max_batch: int = 32,
        max_wait_s: float = 0.003,
    ) -> None:
        self._observe = observe  # (seconds, confidence) -> None: the metrics histograms
        self._classifier = classifier
        self.batcher = MicroBatcher(forward_passes(classifier), max_batch, max_wait_s)
        self._taxonomy = taxonomy
        self.threshold = threshold

    async def assess(self, text: str, resident_pick: str | None, ward: Ward) -> Assessment:
        started = time.perf_counter()
        prediction = await self.batcher.submit(text)
        if self._observe is not None:
            self._observe(time.perf_counter() - started, prediction.confidence)
        classification: Classification = {
            "category": prediction.category,
            "confidence": round(prediction.confidence, 4),
            "top_k": [{"category": code, "confidence": round(p, 4)} for code, p in prediction.top_k],
            "model_version": self._classifier.model_version,
        }
        decision = route(prediction, resident_pick, ward, self._taxonomy, self.threshold)
        return Assessment(classification=classification, routing=decision, ward=ward)
