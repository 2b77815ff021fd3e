"""libs/telemetry and the `telemetry` settings: switching tracing from OTEL_* variables,
W3C context in headers, scrape-time metrics, and JSON log lines."""

import io
import json
import logging
import os

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from prometheus_client import CollectorRegistry, generate_latest

from ingate_config import ConfigError, load_settings
from ingate_telemetry import (
    REQUEST_ID,
    JsonFormatter,
    ReadAtScrape,
    checked_traceparent,
    exporter_names,
    extract_context,
    inject_headers,
    is_sampled,
    new_registry,
    status_class,
    traceparent_of,
    tracing_from_env,
)

ENDPOINT = "http://collector:4318"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def no_otel(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),  # nobody pointed it at a collector: off
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT + "/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, []),
        ({"OTEL_TRACES_EXPORTER": "console, otlp,otlp"}, ["console", "otlp"]),
    ],
)
def test_exporters_follow_the_standard_variables(env: dict[str, str], expected: list[str]) -> None:
    assert exporter_names(env) == expected


def test_an_unknown_exporter_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER"):
        exporter_names({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_tracing_is_off_without_configuration_and_when_the_sdk_is_disabled(
    no_otel: pytest.MonkeyPatch,
) -> None:
    assert tracing_from_env("ingate-test") is None
    no_otel.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ENDPOINT)
    no_otel.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing_from_env("ingate-test") is None


def test_tracing_on_names_the_service_unless_the_environment_does(no_otel: pytest.MonkeyPatch) -> None:
    no_otel.setenv("OTEL_TRACES_EXPORTER", "console")
    tracing = tracing_from_env("ingate-test")
    assert tracing is not None
    assert tracing.provider.resource.attributes["service.name"] == "ingate-test"
    tracing.shutdown()
    no_otel.setenv("OTEL_SERVICE_NAME", "edge-eu-1")
    tracing = tracing_from_env("ingate-test")
    assert tracing is not None
    assert tracing.provider.resource.attributes["service.name"] == "edge-eu-1"
    tracing.shutdown()


def test_grpc_is_refused_with_the_variable_named(no_otel: pytest.MonkeyPatch) -> None:
    no_otel.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ENDPOINT)
    no_otel.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_PROTOCOL"):
        tracing_from_env("ingate-test")


def test_context_crosses_headers_as_w3c_traceparent() -> None:
    tracer = TracerProvider().get_tracer("test")
    parent = tracer.start_span("edge")
    headers: dict[str, str] = {}
    inject_headers(parent, headers)
    assert headers["traceparent"] == traceparent_of(parent)
    context = extract_context(headers)
    assert context is not None and is_sampled(context)
    child = tracer.start_span("translator", context=context)
    assert child.get_span_context().trace_id == parent.get_span_context().trace_id
    assert isinstance(child, ReadableSpan) and child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id
    assert extract_context({}) is None and extract_context(None) is None


def test_unsampled_and_malformed_contexts() -> None:
    unsampled = extract_context({"traceparent": TRACEPARENT[:-2] + "00"})
    assert unsampled is not None and not is_sampled(unsampled)
    garbage = extract_context({"traceparent": "00-nonsense"})
    assert garbage is not None and not is_sampled(garbage)
    assert trace.get_current_span(garbage).get_span_context().is_valid is False


def test_a_callers_traceparent_is_checked_before_it_travels() -> None:
    assert checked_traceparent(TRACEPARENT) == TRACEPARENT
    assert checked_traceparent("00-" + "0" * 32 + "-b7ad6b7169203331-01") is None  # all-zero trace id
    assert checked_traceparent(TRACEPARENT[:-2] + "\r\nx") is None


def test_counts_kept_elsewhere_are_read_at_scrape_time() -> None:
    state = {"published": 0}
    collector = ReadAtScrape()
    collector.counter("ingate_test_published", "records", lambda: state["published"])
    collector.gauge("ingate_test_waiting", "records", lambda: 7)
    registry = CollectorRegistry()
    registry.register(collector)
    state["published"] = 41
    text = generate_latest(registry).decode()
    assert "ingate_test_published_total 41.0" in text
    assert "ingate_test_waiting 7.0" in text


def test_every_registry_has_process_metrics_of_its_own() -> None:
    first, second = new_registry(), new_registry()
    assert first is not second
    assert first.get_sample_value("process_resident_memory_bytes") is not None
    assert [status_class(s) for s in (200, 404, 499, 503, 0)] == ["2xx", "4xx", "4xx", "5xx", "0xx"]


def _format(record: logging.LogRecord) -> dict[str, object]:
    line = JsonFormatter("ingate-test").format(record)
    assert "\n" not in line
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_json_lines_carry_the_fields_operators_filter_on() -> None:
    record = logging.LogRecord("ingate.edge", logging.WARNING, __file__, 1, "provider %s down", ("x",), None)
    entry = _format(record)
    assert entry.keys() == {"ts", "level", "logger", "message", "service"}
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "ingate.edge",
        "provider x down",
    )
    assert str(entry["ts"]).endswith("+00:00")


def test_json_lines_take_the_request_id_from_the_task_or_the_call() -> None:
    record = logging.LogRecord("ingate.edge", logging.INFO, __file__, 1, "hello", None, None)
    token = REQUEST_ID.set("req_from_task")
    try:
        assert _format(record)["request_id"] == "req_from_task"
        record.request_id = "req_from_call"
        assert _format(record)["request_id"] == "req_from_call"
    finally:
        REQUEST_ID.reset(token)


def test_json_lines_copy_nothing_else_from_extra_and_keep_tracebacks() -> None:
    logger = logging.getLogger("ingate.test.json")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("ingate-test"))
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.error("failed", exc_info=True, extra={"api_key": "sk-ingate-secret"})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert "sk-ingate-secret" not in stream.getvalue()
    assert "ValueError: boom" in entry["exception"]


def test_telemetry_settings_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "INGATE_TELEMETRY_METRICS_PORT": "9464",
            "INGATE_TELEMETRY_LOG_FORMAT": "text",
            "INGATE_LOG_LEVEL": "debug",
        }
    )
    assert settings.telemetry.metrics_port == 9464
    assert settings.telemetry.log_format == "text"
    assert settings.telemetry.log_level == "debug"
    # INGATE_TELEMETRY_LOG_FORMAT ends in _FORMAT but defines no provider.
    assert sorted(settings.providers) == ["anthropic", "gemini", "ollama", "openai"]
    assert load_settings(environ={}).telemetry.log_format == "json"
    both = {"INGATE_LOG_LEVEL": "DEBUG", "INGATE_TELEMETRY_LOG_LEVEL": "ERROR"}
    assert load_settings(environ=both).telemetry.log_level == "ERROR"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INGATE_TELEMETRY_METRICS_PORT": "70000"}, "telemetry.metrics_port"),
        ({"INGATE_TELEMETRY_METRICS_PORT": "x"}, "INGATE_TELEMETRY_METRICS_PORT"),
        ({"INGATE_TELEMETRY_LOG_FORMAT": "xml"}, "INGATE_TELEMETRY_LOG_FORMAT"),
        ({"INGATE_LOG_LEVEL": "loud"}, "telemetry.log_level"),
    ],
)
def test_bad_telemetry_settings_fail_with_the_setting_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as failure:
        load_settings(environ=env)
    assert failure.value.setting == named
