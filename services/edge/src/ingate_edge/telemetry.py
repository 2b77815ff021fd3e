"""The edge's traces and metrics, both taken from the finished request record in one place.

Per request the proxy calls `EdgeMetrics.observe(record)` (a dict lookup and three
prometheus_client updates, ~1.5 µs) and, only when tracing is on, `RequestTracer.start`
and `end_request_span`. Everything the edge counts anyway (records published, spooled,
dropped) is read when Prometheus scrapes, not on the way.
"""

from collections.abc import Callable
from typing import Final

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from prometheus_client import Counter, Histogram

from ingate_contracts import RequestRecord
from ingate_edge.publish import RecordPublisher
from ingate_nats import KeyCache
from ingate_providers import FORMATS
from ingate_telemetry import (
    REQUEST_BUCKETS_S,
    ReadAtScrape,
    extract_context,
    new_registry,
    status_class,
    traceparent_of,
)

# Stable endpoint names; anything else (an unknown path) is "other", so a caller inventing
# paths cannot create label values, cache entries or span names without end.
ENDPOINTS: Final = frozenset(endpoint.name for fmt in FORMATS.values() for endpoint in fmt.endpoints)
_OTHER: Final = "other"
_TRACE_HEADERS: Final = (b"traceparent", b"tracestate")
_MAX_ATTRIBUTE_CHARS: Final = 200
_Children = tuple[Counter, Histogram, Histogram]  # requests, duration, time to first byte


class RequestTracer:
    """One SERVER span per request, child of the caller's traceparent when it sent one."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def start(self, raw_headers: list[tuple[bytes, bytes]]) -> tuple[Span, str | None]:
        """The request's span and its context as the traceparent handed on (translator, event)."""
        span = self._tracer.start_span("ingate request", context=_parent(raw_headers), kind=SpanKind.SERVER)
        return span, traceparent_of(span)


def _parent(raw_headers: list[tuple[bytes, bytes]]) -> Context | None:
    carried = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in raw_headers
        if name in _TRACE_HEADERS
    }
    return extract_context(carried)


def end_request_span(span: Span, record: RequestRecord) -> None:
    if not span.is_recording():  # not sampled: nothing of this would be kept
        span.end()
        return
    endpoint = record.endpoint if record.endpoint in ENDPOINTS else _OTHER
    span.update_name(f"{record.method} {endpoint}")
    span.set_attributes(
        {
            "http.request.method": record.method,
            "http.response.status_code": record.status,
            "ingate.request_id": record.request_id,
            "ingate.provider": record.provider,
            "ingate.endpoint": endpoint,
            "gen_ai.request.model": record.model[:_MAX_ATTRIBUTE_CHARS],
            "ingate.stream": record.stream,
            "ingate.translated": record.translated,
            "gen_ai.usage.input_tokens": record.input_tokens,
            "gen_ai.usage.output_tokens": record.output_tokens,
        }
    )
    if record.error_type:
        span.set_attribute("error.type", record.error_type)
    if record.status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end()


class EdgeMetrics:
    def __init__(self, publisher: RecordPublisher, keys: KeyCache, ready: Callable[[], bool]) -> None:
        self.registry = registry = new_registry()
        self._requests = Counter(
            "ingate_edge_requests",
            "Requests answered, by provider, endpoint and status class",
            ["provider", "endpoint", "status_class"],
            registry=registry,
        )
        self._duration = Histogram(
            "ingate_edge_request_duration_seconds",
            "Time from the request's arrival to its last byte",
            ["provider", "endpoint"],
            buckets=REQUEST_BUCKETS_S,
            registry=registry,
        )
        self._ttfb = Histogram(
            "ingate_edge_time_to_first_byte_seconds",
            "Time from the request's arrival to the first byte of the provider's answer sent on",
            ["provider", "endpoint"],
            buckets=REQUEST_BUCKETS_S,
            registry=registry,
        )
        self._upstream_errors = Counter(
            "ingate_edge_upstream_errors",
            "Provider failures: unreachable, timed out, broke off a stream, or answered 4xx/5xx",
            ["provider", "error_type"],
            registry=registry,
        )
        # prometheus_client's `labels()` costs more than the update itself: keep the children.
        self._children: dict[tuple[str, str, int], _Children] = {}
        registry.register(_counted_elsewhere(publisher, keys, ready))

    def observe(self, record: RequestRecord) -> None:
        endpoint = record.endpoint if record.endpoint in ENDPOINTS else _OTHER
        key = (record.provider, endpoint, record.status // 100)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._new_children(record.provider, endpoint, record.status)
        requests, duration, ttfb = children
        requests.inc()
        duration.observe(record.latency_ms / 1000.0)
        if record.ttfb_ms:
            ttfb.observe(record.ttfb_ms / 1000.0)
        if record.error_type.startswith("upstream_"):
            self._upstream_errors.labels(record.provider, record.error_type).inc()

    def _new_children(self, provider: str, endpoint: str, status: int) -> _Children:
        return (
            self._requests.labels(provider, endpoint, status_class(status)),
            self._duration.labels(provider, endpoint),
            self._ttfb.labels(provider, endpoint),
        )


def _counted_elsewhere(publisher: RecordPublisher, keys: KeyCache, ready: Callable[[], bool]) -> ReadAtScrape:
    spool = publisher.spool
    metrics = ReadAtScrape()
    metrics.counter(
        "ingate_edge_events_published", "Request records stored in JetStream", lambda: publisher.published
    )
    metrics.counter(
        "ingate_edge_events_publish_failures",
        "Publish attempts that failed; their records stay spooled for the next attempt",
        lambda: publisher.failed_attempts,
    )
    metrics.counter(
        "ingate_edge_events_spooled_to_file",
        "Request records written to the spool file (memory full while NATS was away)",
        lambda: spool.spooled_to_file,
    )
    metrics.counter(
        "ingate_edge_events_dropped",
        "Request records refused because the memory and file spools were full",
        lambda: spool.dropped,
    )
    metrics.gauge("ingate_edge_events_spooled", "Request records waiting in memory", lambda: len(spool))
    metrics.gauge(
        "ingate_edge_events_spool_file_bytes",
        "Bytes of records waiting in the spool file",
        lambda: spool.file_bytes,
    )
    metrics.gauge("ingate_edge_keys", "API keys this edge knows", lambda: len(keys))
    metrics.gauge("ingate_edge_ready", "1 once the keys are loaded (also while NATS is away)", ready)
    return metrics
