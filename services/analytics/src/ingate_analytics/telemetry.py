"""The analytics service's metrics, operations listener and spans.

Counts the service keeps anyway (`Stats`) are read at scrape time; the consumer's lag is
asked of JetStream just before each scrape. Insert latency comes from a wrapper around
the sink, batch sizes and spans from `stored`, called with a batch's messages once their
records are in ClickHouse.

Traces: each request record's message carries the edge's traceparent. For every stored
record whose context is sampled, `stored` adds a short CONSUMER span under the edge's
request span — from the moment JetStream stored the record to the moment ClickHouse had
it — so one trace runs from the caller through the edge (and translator) into analytics.
With tracing off `stored` returns after one check: no per-record work at all.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from nats.js import JetStreamContext
from opentelemetry.trace import SpanKind, Tracer
from prometheus_client import Gauge, Histogram

from ingate_analytics.kinds import Record, RecordKind
from ingate_analytics.sink import Sink
from ingate_contracts.subjects import ANALYTICS_CONSUMER, EVENTS_STREAM
from ingate_contracts.usage import Stats
from ingate_telemetry import (
    COUNT_BUCKETS,
    WRITE_BUCKETS_S,
    ReadAtScrape,
    Tracing,
    extract_context,
    is_sampled,
    new_registry,
)
from ingate_telemetry.ops import OpsServer

log = logging.getLogger("ingate.analytics")

_TRACER_NAME: Final = "ingate.analytics"


class AnalyticsTelemetry:
    def __init__(self, stats: Stats, js: JetStreamContext, tracing: Tracing | None) -> None:
        self.registry = registry = new_registry()
        self.tracing = tracing
        self.tracer = None if tracing is None else tracing.tracer(_TRACER_NAME)
        self.consuming = False  # the durable consumer is bound: readiness
        self._js = js
        self._ops: OpsServer | None = None
        registry.register(_stats_collector(stats))
        self.batch_records = Histogram(
            "ingate_analytics_batch_records",
            "Messages per batch written to ClickHouse and acknowledged",
            buckets=COUNT_BUCKETS,
            registry=registry,
        )
        self.insert_duration = Histogram(
            "ingate_analytics_insert_duration_seconds",
            "Time of one successful insert into ingate.requests",
            buckets=WRITE_BUCKETS_S,
            registry=registry,
        )
        self._pending = Gauge(
            "ingate_analytics_consumer_pending",
            "Records in INGATE_EVENTS not yet delivered to the consumer (its lag), as of the scrape",
            registry=registry,
        )
        self._ack_pending = Gauge(
            "ingate_analytics_consumer_ack_pending",
            "Records delivered and not yet acknowledged, as of the scrape",
            registry=registry,
        )
        self._redelivered = Gauge(
            "ingate_analytics_consumer_redelivered",
            "Records delivered more than once and not yet acknowledged, as of the scrape",
            registry=registry,
        )

    async def start(self, port: int, nats_connected: Callable[[], bool]) -> None:
        """Serve /healthz, /readyz and /metrics on `port` (0: no listener)."""
        if not port:
            return
        self._ops = OpsServer(
            self.registry,
            lambda: {"nats_connected": nats_connected(), "consuming": self.consuming},
            before_scrape=self.refresh_lag,
        )
        await self._ops.start(port)

    async def stop(self) -> None:
        if self._ops is not None:
            await self._ops.stop()
        if self.tracing is not None:  # send the spans still buffered
            await asyncio.to_thread(self.tracing.shutdown)

    async def refresh_lag(self) -> None:
        info = await self._js.consumer_info(EVENTS_STREAM, ANALYTICS_CONSUMER)
        self._pending.set(info.num_pending or 0)
        self._ack_pending.set(info.num_ack_pending or 0)
        self._redelivered.set(info.num_redelivered or 0)

    def metered(self, sink: Sink) -> Sink:
        return _MeteredSink(sink, self.insert_duration)

    def stored(self, messages: Sequence[Any]) -> None:
        """A batch of messages whose records are now in ClickHouse (and acknowledged)."""
        self.batch_records.observe(len(messages))
        if self.tracer is None:
            return
        try:
            self._trace_stored(self.tracer, messages)
        except Exception as exc:  # telemetry must never stop the records flowing
            log.warning("tracing a stored batch failed: %s", exc)

    def _trace_stored(self, tracer: Tracer, messages: Sequence[Any]) -> None:
        end = time.time_ns()
        for message in messages:
            context = extract_context(message.headers)
            if context is None or not is_sampled(context):
                continue
            published = message.metadata.timestamp.timestamp()
            span = tracer.start_span(
                "analytics store",
                context=context,
                kind=SpanKind.CONSUMER,
                start_time=min(end, int(published * 1e9)),
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": message.subject,
                    "ingate.request_id": message.headers.get("Nats-Msg-Id", ""),
                    "ingate.batch_records": len(messages),
                },
            )
            span.end(end_time=end)


class _MeteredSink:
    """The sink, with each successful insert timed."""

    def __init__(self, sink: Sink, duration: Histogram) -> None:
        self._sink = sink
        self._duration = duration

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        return await self._sink.existing_ids(kind, records)

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        await self._sink.insert(kind, records)
        self._duration.observe(time.perf_counter() - started)


def _stats_collector(stats: Stats) -> ReadAtScrape:
    metrics = ReadAtScrape()
    metrics.counter(
        "ingate_analytics_records_inserted", "Rows written to ingate.requests", lambda: stats.inserted
    )
    metrics.counter(
        "ingate_analytics_duplicates",
        "Deliveries of a request id already stored (or twice in one batch), skipped",
        lambda: stats.duplicates,
    )
    metrics.counter(
        "ingate_analytics_dead_letters",
        "Messages that were not storable records, moved to INGATE_DEADLETTER",
        lambda: stats.dead_lettered,
    )
    metrics.counter("ingate_analytics_batches", "Batches written and acknowledged", lambda: stats.batches)
    metrics.counter(
        "ingate_analytics_insert_failures",
        "Failed write attempts (each retried)",
        lambda: stats.insert_failures,
    )
    return metrics
