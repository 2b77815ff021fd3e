"""Each service's spans and metrics, in process, with the SDK's in-memory span exporter."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ingate_analytics.telemetry import AnalyticsTelemetry
from ingate_contracts import RequestRecord
from ingate_contracts.usage import Stats
from ingate_edge.publish import RecordPublisher
from ingate_edge.spool import Spool
from ingate_edge.telemetry import EdgeMetrics, RequestTracer, end_request_span
from ingate_nats import KeyCache
from ingate_telemetry import Tracing, new_registry
from ingate_translator.telemetry import TranslatorTelemetry

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
SAMPLED = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
UNSAMPLED = f"00-{CALLER_TRACE}-{CALLER_SPAN}-00"


@pytest.fixture
def exported() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


def _record(**fields: Any) -> RequestRecord:
    defaults: dict[str, Any] = {
        "ts": 1.0,
        "request_id": "req_1",
        "provider": "openai",
        "endpoint": "chat.completions",
    }
    return RequestRecord(**{**defaults, **fields})


def test_edge_span_continues_the_callers_trace_and_hands_its_own_context_on(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    tracer = RequestTracer(provider.get_tracer("test"))
    span, traceparent = tracer.start([(b"host", b"x"), (b"traceparent", SAMPLED.encode())])
    record = _record(status=200, model="gpt-4o", stream=True, translated=True, key_id="key_abc")
    end_request_span(span, record)
    finished = _only(exporter)
    context = finished.get_span_context()
    assert context is not None and finished.parent is not None
    assert f"{context.trace_id:032x}" == CALLER_TRACE
    assert f"{finished.parent.span_id:016x}" == CALLER_SPAN
    assert traceparent == f"00-{CALLER_TRACE}-{context.span_id:016x}-01"
    assert finished.kind == SpanKind.SERVER
    assert finished.name == "POST chat.completions"
    attributes = dict(finished.attributes or {})
    assert attributes["ingate.request_id"] == "req_1"
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert (attributes["ingate.stream"], attributes["ingate.translated"]) == (True, True)
    assert "key_abc" not in repr(attributes)


def test_edge_span_of_an_unknown_path_and_of_a_failure(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    span, _ = RequestTracer(provider.get_tracer("test")).start([])
    end_request_span(span, _record(endpoint="/wp-admin/x", status=502, error_type="upstream_unreachable"))
    finished = _only(exporter)
    assert finished.parent is None  # no caller context: a new trace
    assert finished.name == "POST other"
    assert finished.status.status_code == StatusCode.ERROR
    assert dict(finished.attributes or {})["error.type"] == "upstream_unreachable"


def test_an_unsampled_callers_choice_travels_on_and_nothing_is_exported(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    span, traceparent = RequestTracer(provider.get_tracer("test")).start(
        [(b"traceparent", UNSAMPLED.encode())]
    )
    end_request_span(span, _record(status=200))
    assert (
        traceparent is not None
        and traceparent.startswith(f"00-{CALLER_TRACE}-")
        and traceparent.endswith("-00")
    )
    assert exporter.get_finished_spans() == ()


def test_edge_metrics_come_from_the_finished_record(tmp_path: Path) -> None:
    publisher = RecordPublisher(Spool(10, tmp_path / "spool", 1000))
    metrics = EdgeMetrics(publisher, KeyCache(), lambda: True)
    metrics.observe(_record(status=200, latency_ms=120.0, ttfb_ms=80.0))
    metrics.observe(_record(status=201, latency_ms=20.0))  # no first byte from a provider
    metrics.observe(_record(endpoint="/made/up", provider="", status=404))
    metrics.observe(_record(status=504, error_type="upstream_timeout"))
    publisher.published = 3
    value = metrics.registry.get_sample_value
    labels = {"provider": "openai", "endpoint": "chat.completions"}
    assert value("ingate_edge_requests_total", {**labels, "status_class": "2xx"}) == 2
    assert (
        value("ingate_edge_requests_total", {"provider": "", "endpoint": "other", "status_class": "4xx"}) == 1
    )
    assert value("ingate_edge_request_duration_seconds_count", labels) == 3
    assert value("ingate_edge_request_duration_seconds_sum", {"provider": "", "endpoint": "other"}) == 0
    assert value("ingate_edge_time_to_first_byte_seconds_count", labels) == 1
    assert value("ingate_edge_time_to_first_byte_seconds_sum", labels) == pytest.approx(0.08)
    errors = {"provider": "openai", "error_type": "upstream_timeout"}
    assert value("ingate_edge_upstream_errors_total", errors) == 1
    assert value("ingate_edge_events_published_total") == 3
    assert value("ingate_edge_ready") == 1


def test_translator_call_is_a_child_span_and_counted(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    telemetry = TranslatorTelemetry(new_registry(), provider.get_tracer("t"))
    call = telemetry.start("request", "ingate.translate.v1.request", {"traceparent": SAMPLED})
    call.pair("openai", "anthropic")
    call.done("400")
    finished = _only(exporter)
    assert finished.parent is not None and f"{finished.parent.span_id:016x}" == CALLER_SPAN
    assert finished.status.status_code == StatusCode.ERROR
    assert dict(finished.attributes or {})["ingate.translate.backend"] == "anthropic"
    value = telemetry.registry.get_sample_value
    assert value("ingate_translator_calls_total", {"endpoint": "request"}) == 1
    assert value("ingate_translator_errors_total", {"endpoint": "request", "code": "400"}) == 1
    assert value("ingate_translator_call_duration_seconds_count", {"endpoint": "request"}) == 1


def test_translator_without_tracing_creates_no_span() -> None:
    telemetry = TranslatorTelemetry(new_registry(), tracer=None)
    call = telemetry.start("stream", "ingate.translate.v1.stream", {"traceparent": SAMPLED})
    assert call.span is None
    call.done()
    assert telemetry.registry.get_sample_value("ingate_translator_calls_total", {"endpoint": "stream"}) == 1


def _message(traceparent: str | None, request_id: str) -> Any:
    headers = {"Nats-Msg-Id": request_id}
    if traceparent is not None:
        headers["traceparent"] = traceparent
    stored_at = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=300)
    return SimpleNamespace(
        headers=headers, subject="ingate.events.v1.openai", metadata=SimpleNamespace(timestamp=stored_at)
    )


def test_analytics_adds_a_span_per_sampled_stored_record(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    telemetry = AnalyticsTelemetry(Stats(), cast(Any, None), Tracing(provider))
    telemetry.stored([_message(SAMPLED, "req_a"), _message(UNSAMPLED, "req_b"), _message(None, "req_c")])
    finished = _only(exporter)
    assert finished.kind == SpanKind.CONSUMER
    assert finished.parent is not None and f"{finished.parent.span_id:016x}" == CALLER_SPAN
    assert dict(finished.attributes or {})["ingate.request_id"] == "req_a"
    assert finished.start_time is not None and finished.end_time is not None
    assert 0.2e9 < finished.end_time - finished.start_time < 5e9  # from JetStream to ClickHouse
    assert telemetry.registry.get_sample_value("ingate_analytics_batch_records_count") == 1
    assert telemetry.registry.get_sample_value("ingate_analytics_batch_records_sum") == 3


def test_analytics_without_tracing_only_counts_the_batch() -> None:
    stats = Stats(inserted=5, dead_lettered=2)
    telemetry = AnalyticsTelemetry(stats, cast(Any, None), None)
    telemetry.stored([SimpleNamespace()])  # not even looked at
    value = telemetry.registry.get_sample_value
    assert value("ingate_analytics_batch_records_sum") == 1
    assert value("ingate_analytics_records_inserted_total") == 5
    assert value("ingate_analytics_dead_letters_total") == 2
