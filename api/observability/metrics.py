"""Prometheus metrics of one service instance, and the hook other features register gauges with.

Built in the lifespan (never at import, so every app in the tests has its own registry).
Histograms are observed in-process; with several uvicorn workers ``phananh serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` and prometheus_client keeps each worker's samples in files
there, which /metrics merges, so any worker answers for all of them.

Gauges that are facts of the database (overdue reports, outbox backlog) are not kept in the
process: they are registered as async callbacks, read at scrape time (identical from every
worker) and cached for ``cache_s`` so a scrape storm costs one indexed count per period.
"""

import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

GaugeCallback = Callable[[], Awaitable[float]]
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


class _CallbackGauges(Collector):
    """Yields the last values read by ``Metrics.refresh``; collect() itself never awaits."""

    def __init__(self) -> None:
        self.specs: dict[str, tuple[str, GaugeCallback]] = {}
        self.values: dict[str, float] = {}
        # None until the first read: monotonic time starts at boot, so "0" is not "long ago" on a
        # machine up for less than cache_s (a fresh CI machine served no gauge at all)
        self.read_at: float | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, _) in self.specs.items():
            if name in self.values:
                yield GaugeMetricFamily(name, documentation, value=self.values[name])


class Metrics:
    def __init__(self, cache_s: float = 15.0) -> None:
        self.registry = CollectorRegistry()
        self.cache_s = cache_s
        self.request_latency = Histogram(
            "phananh_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.classifier_latency = Histogram(
            "phananh_classifier_duration_seconds",
            "Time to classify one report (batch wait included)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.classifier_confidence = Histogram(
            "phananh_classifier_confidence",
            "Calibrated confidence of the predicted category",
            buckets=CONFIDENCE_BUCKETS,
            registry=self.registry,
        )
        self._gauges = _CallbackGauges()
        self.registry.register(self._gauges)

    def register_gauge(self, name: str, documentation: str, read: GaugeCallback) -> None:
        """Expose ``await read()`` as gauge ``name``; e.g. the outbox's backlog and lag."""
        self._gauges.specs[name] = (documentation, read)

    def observe_classification(self, seconds: float, confidence: float) -> None:
        self.classifier_latency.observe(seconds)
        self.classifier_confidence.observe(confidence)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_latency.labels(method, route, str(status)).observe(seconds)

    async def refresh(self) -> None:
        """Read the callback gauges if the cached values are older than ``cache_s``."""
        gauges = self._gauges
        if gauges.read_at is not None and time.monotonic() - gauges.read_at < self.cache_s:
            return
        for name, (_, read) in gauges.specs.items():
            try:
                gauges.values[name] = float(await read())
            except Exception as exc:  # a scrape must answer even when a source is down
                gauges.values.pop(name, None)
                log.warning("metric %s not read: %s", name, type(exc).__name__)
        gauges.read_at = time.monotonic()

    async def exposition(self) -> bytes:
        await self.refresh()
        if not os.environ.get(MULTIPROC_ENV):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(self._gauges)
        return generate_latest(registry)
