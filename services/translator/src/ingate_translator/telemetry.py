"""The translator's metrics and spans: per call, one count, one latency, one span when tracing.

A call's span continues the trace whose traceparent the edge put in the NATS headers, so
it lands under the edge's request span.
"""

import time
from collections.abc import Mapping

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from prometheus_client import CollectorRegistry, Counter, Histogram

from ingate_telemetry import FAST_BUCKETS_S, extract_context


class TranslatorTelemetry:
    def __init__(self, registry: CollectorRegistry, tracer: Tracer | None) -> None:
        self.registry = registry
        self.tracer = tracer
        self.calls = Counter(
            "ingate_translator_calls",
            "Translator calls answered, by endpoint",
            ["endpoint"],
            registry=registry,
        )
        self.errors = Counter(
            "ingate_translator_errors",
            "Calls answered with an error: 400 the request cannot be expressed, 500 translation failed",
            ["endpoint", "code"],
            registry=registry,
        )
        self.duration = Histogram(
            "ingate_translator_call_duration_seconds",
            "Time from a call's arrival to its answer",
            ["endpoint"],
            buckets=FAST_BUCKETS_S,
            registry=registry,
        )

    def start(self, endpoint: str, subject: str, headers: Mapping[str, str] | None) -> "CallTelemetry":
        span = None
        if self.tracer is not None:
            span = self.tracer.start_span(
                f"translate {endpoint}",
                context=extract_context(headers),
                kind=SpanKind.SERVER,
                attributes={"messaging.system": "nats", "messaging.destination.name": subject},
            )
        return CallTelemetry(self, endpoint, span)


class CallTelemetry:
    """One call being answered; `done` records it once, with the error code if there was one."""

    __slots__ = ("endpoint", "span", "started", "telemetry")

    def __init__(self, telemetry: TranslatorTelemetry, endpoint: str, span: Span | None) -> None:
        self.telemetry = telemetry
        self.endpoint = endpoint
        self.span = span
        self.started = time.perf_counter()

    def pair(self, client: str, backend: str) -> None:
        if self.span is not None:
            self.span.set_attributes({"ingate.translate.client": client, "ingate.translate.backend": backend})

    def done(self, error_code: str | None = None) -> None:
        telemetry = self.telemetry
        telemetry.duration.labels(self.endpoint).observe(time.perf_counter() - self.started)
        telemetry.calls.labels(self.endpoint).inc()
        if error_code is not None:
            telemetry.errors.labels(self.endpoint, error_code).inc()
        if self.span is not None:
            if error_code is not None:
                self.span.set_attribute("error.type", error_code)
                self.span.set_status(Status(StatusCode.ERROR))
            self.span.end()
