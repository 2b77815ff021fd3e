"""One request's state on its way through the edge, and what it owes once it has ended."""

import time

from opentelemetry.trace import Span

from ingate_contracts import RequestRecord
from ingate_edge.cache.recorder import AnswerRecorder
from ingate_edge.capture import Capture
from ingate_edge.limits import Admission
from ingate_edge.metering import record_usage
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.telemetry import end_request_span
from ingate_edge.usage_meter import UsageMeter
from ingate_providers import ProviderFormat


class Exchange:
    """Per-request state the error path needs: the dialect to answer in, and the record."""

    __slots__ = (
        "admission",
        "cache",
        "capture",
        "dialect",
        "meter",
        "record",
        "request_id_bytes",
        "request_id_field",
        "route_names",
        "span",
        "started",
        "t0",
        "traceparent",
        "usage",
    )

    def __init__(self, record: RequestRecord, dialect: ProviderFormat) -> None:
        self.record = record
        self.dialect = dialect
        self.request_id_bytes = record.request_id.encode()
        self.request_id_field = False  # a JSON answer gains the request id (Endpoint.request_id_field)
        self.route_names: tuple[str, ...] = ()  # added to a model list answer
        self.started = False  # response headers sent: errors can no longer be reported
        self.meter = UsageMeter()
        self.usage = self.meter.usage  # what the request used, once settled (estimates included)
        self.admission: Admission | None = None  # what the key's limits lent this request
        self.t0 = time.perf_counter()
        self.span: Span | None = None  # only when tracing is on
        self.traceparent: str | None = None  # handed on to the translator and with the record
        self.capture: Capture | None = None  # only when the request's bodies are captured
        self.cache: AnswerRecorder | None = None  # only when its answer may go into the cache

    def settle(self, runtime: EdgeRuntime) -> None:
        """However the request ended: its latency and usage on the record, what it used paid
        back to the key's limits and budget, its span ended, then counted and published (its
        captured bodies after it)."""
        record = self.record
        record.latency_ms = (time.perf_counter() - self.t0) * 1000.0
        record_usage(record, self.meter, runtime.prices, runtime.upstreams.format_name(record.provider))
        if self.admission is not None:
            used = self.usage.input_tokens + self.usage.output_tokens
            runtime.limiter.settle(self.admission, used, record.cost_usd)
        if record.cost_usd:
            runtime.spend.add(record.key_id, record.cost_usd, record.ts)
        if self.span is not None:
            end_request_span(self.span, record)
        runtime.metrics.observe(record)
        runtime.publisher.emit(record, self.traceparent)
        if self.cache is not None:
            runtime.cache.keep(self.cache, record)
        if self.capture is not None:
            runtime.publisher.emit_payload(runtime.capturer.payload(self.capture, record), self.traceparent)
