"""Prometheus metrics on every service, and JSON log lines that carry the request id."""

import json
import time
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.telemetry.conftest import TracedStack, translated_chat


def _samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _eventually(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_edge_counts_requests_latency_and_records(traced_stack: TracedStack) -> None:
    labels = {"provider": "anthropic", "endpoint": "chat.completions"}
    before = _samples(traced_stack.edge_url)
    translated_chat(traced_stack)
    unknown = httpx.get(f"{traced_stack.edge_url}/no/such/path/{time.time()}", timeout=5)
    assert unknown.status_code == 404
    after = _samples(traced_stack.edge_url)

    def grew(name: str, **extra: str) -> float:
        return _value(after, name, **labels, **extra) - _value(before, name, **labels, **extra)

    assert grew("ingate_edge_requests_total", status_class="2xx") == 1
    assert grew("ingate_edge_request_duration_seconds_count") == 1
    assert grew("ingate_edge_time_to_first_byte_seconds_count") == 1
    # An invented path is counted under "other", never as a label value of its own.
    other = {"provider": "", "endpoint": "other", "status_class": "4xx"}
    assert _value(after, "ingate_edge_requests_total", **other) >= 1
    assert not any("/no/such/path" in str(key) for key in after)
    _eventually(lambda: _value(_samples(traced_stack.edge_url), "ingate_edge_events_published_total") >= 2)
    assert ("ingate_edge_events_dropped_total", frozenset()) in after
    assert ("process_resident_memory_bytes", frozenset()) in after


def test_edge_counts_upstream_errors(traced_stack: TracedStack) -> None:
    answer = httpx.post(
        f"{traced_stack.edge_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {traced_stack.key}", "X-Ingate-Provider": "dead"},
        json={"model": "gpt-4o", "messages": []},
        timeout=10,
    )
    assert answer.status_code == 502
    samples = _samples(traced_stack.edge_url)
    labels = {"provider": "dead", "error_type": "upstream_unreachable"}
    assert _value(samples, "ingate_edge_upstream_errors_total", **labels) >= 1


def test_edge_counts_a_stream_the_provider_broke_as_a_server_error(traced_stack: TracedStack) -> None:
    labels = {"provider": "openai", "endpoint": "chat.completions"}
    broken = {"provider": "openai", "error_type": "upstream_stream_broken"}
    before = _samples(traced_stack.edge_url)
    with httpx.stream(
        "POST",
        f"{traced_stack.edge_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {traced_stack.key}", "X-Mock-Drop-After": "3"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        timeout=10,
    ) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            for _ in response.iter_raw():
                pass

    def grew(name: str, **extra: str) -> float:
        return _value(_samples(traced_stack.edge_url), name, **extra) - _value(before, name, **extra)

    # The 200 status line went out, but the request ended as the provider's failure.
    _eventually(lambda: grew("ingate_edge_requests_total", **labels, status_class="5xx") == 1)
    assert grew("ingate_edge_requests_total", **labels, status_class="2xx") == 0
    assert grew("ingate_edge_upstream_errors_total", **broken) == 1


def test_translator_and_analytics_serve_health_readiness_and_metrics(traced_stack: TracedStack) -> None:
    translated_chat(traced_stack)
    for url in (traced_stack.translator_ops, traced_stack.analytics_ops):
        assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
        ready = httpx.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["nats_connected"] is True
    translator = _samples(traced_stack.translator_ops)
    assert _value(translator, "ingate_translator_calls_total", endpoint="request") >= 1
    assert _value(translator, "ingate_translator_call_duration_seconds_count", endpoint="response") >= 1

    def stored() -> bool:
        return _value(_samples(traced_stack.analytics_ops), "ingate_analytics_records_inserted_total") >= 1

    _eventually(stored)
    analytics = _samples(traced_stack.analytics_ops)
    assert _value(analytics, "ingate_analytics_batch_records_count") >= 1
    assert _value(analytics, "ingate_analytics_insert_duration_seconds_count") >= 1
    assert ("ingate_analytics_consumer_pending", frozenset()) in analytics  # asked of JetStream per scrape
    assert ("ingate_analytics_dead_letters_total", frozenset()) in analytics


def _json_lines(service_log: str) -> list[dict[str, object]]:
    lines = [line for line in service_log.splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_every_service_logs_json_lines(traced_stack: TracedStack) -> None:
    for name, service in traced_stack.services.items():
        entries = _json_lines(service.log_path.read_text())
        assert entries, f"{name} wrote no JSON log line"
        for entry in entries:
            assert {"ts", "level", "logger", "message", "service"} <= entry.keys()
            assert entry["service"] == f"ingate-{name}"


def test_a_request_log_line_carries_the_request_id(traced_stack: TracedStack) -> None:
    answer = httpx.post(
        f"{traced_stack.edge_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {traced_stack.key}", "X-Ingate-Provider": "dead"},
        json={"model": "gpt-4o", "messages": []},
        timeout=10,
    )
    request_id = answer.headers["x-ingate-request-id"]
    edge = traced_stack.services["edge"]

    def mine() -> list[dict[str, object]]:
        return [e for e in _json_lines(edge.log_path.read_text()) if e.get("request_id") == request_id]

    _eventually(lambda: bool(mine()), timeout_s=5)
    (entry,) = mine()
    assert entry["level"] == "WARNING" and "dead" in str(entry["message"])
    assert traced_stack.key not in edge.log_path.read_text()
