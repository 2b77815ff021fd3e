"""Prometheus helpers every service uses: its registry, counters read at scrape time, buckets.

Each service builds its own registry (not prometheus_client's global one), so tests may
create several apps in one process and each scrape shows only its own service.
"""

from collections.abc import Callable, Iterable
from typing import Final, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Whole requests to LLM providers: milliseconds for a cached answer, minutes for a long generation.
REQUEST_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# In-process work measured in microseconds (a translation) up to a slow database write.
FAST_BUCKETS_S: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
WRITE_BUCKETS_S: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COUNT_BUCKETS: Final = (1.0, 5.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)

Kind = Literal["counter", "gauge"]


def new_registry() -> CollectorRegistry:
    """A registry with the process's own metrics (CPU, memory, file descriptors, GC)."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The body and content type of a scrape, in Prometheus' text format."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


class ReadAtScrape(Collector):
    """Counters and gauges whose values already live in the service (plain attributes the
    code bumps anyway), read only when Prometheus asks: nothing is added to the hot path."""

    def __init__(self) -> None:
        self._metrics: list[tuple[str, str, Kind, Callable[[], float]]] = []

    def counter(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        self._metrics.append((name, documentation, "counter", read))

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        self._metrics.append((name, documentation, "gauge", read))

    def collect(self) -> Iterable[Metric]:
        for name, documentation, kind, read in self._metrics:
            if kind == "counter":
                yield CounterMetricFamily(name, documentation, value=read())
            else:
                yield GaugeMetricFamily(name, documentation, value=read())


def status_class(status: int) -> str:
    """`2xx`, `4xx`, …; a request that never got a status (0) is `0xx`."""
    return f"{status // 100}xx"
