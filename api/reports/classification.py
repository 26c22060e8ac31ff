"""Classify a report's text and decide where it goes, off the event loop.

The model is CPU-bound (a few ms per text) and much cheaper per text in batches, so
concurrent reports are micro-batched: the first text of a batch waits ``max_wait_s`` (a few
ms) for others to join, up to ``max_batch``; whatever arrives while a batch runs forms the
next one (a storm of reports shares forward passes). One forward pass at a time, off the event
loop. The routing rule itself is pure data (classifiers/routing/rules.py).
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from classifiers.base import Classifier, Prediction
from classifiers.routing.rules import RoutingDecision, route
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import Ward
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


class MicroBatcher:
    """Funnel concurrent single-text predictions into batched ``predict`` calls, one at a time."""

    def __init__(self, classifier: Classifier, max_batch: int = 32, max_wait_s: float = 0.003) -> None:
        self._classifier = classifier
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._pending: list[tuple[str, asyncio.Future[Prediction]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._full = asyncio.Event()
        self.batch_sizes: list[int] = []  # of the last 1000 forward passes (tests and benchmarks read it)

    async def predict(self, text: str) -> Prediction:
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if len(self._pending) >= self._max_batch:
            self._full.set()
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _gather(self) -> None:
        """Let a batch fill: until ``max_wait_s`` passes or ``max_batch`` texts wait."""
        if self._max_wait_s > 0 and len(self._pending) < self._max_batch:
            self._full.clear()
            try:
                await asyncio.wait_for(self._full.wait(), self._max_wait_s)
            except TimeoutError:
                pass

    async def _drain(self) -> None:
        await self._gather()
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
            try:
                predictions = await anyio.to_thread.run_sync(self._classifier.predict, [text for text, _ in batch])
            except Exception as exc:  # every waiter gets the failure; none hangs
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), prediction in zip(batch, predictions, strict=True):
                if not future.done():
                    future.set_result(prediction)


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
        self.batcher = MicroBatcher(classifier, max_batch, max_wait_s)
        self._taxonomy = taxonomy
        self.threshold = threshold

    async def assess(self, text: str, resident_pick: str | None, ward: Ward) -> Assessment:
        started = time.perf_counter()
        prediction = await self.batcher.predict(text)
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
