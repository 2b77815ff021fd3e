"""The control API itself: state, counters, bad bodies, unknown routes, the two ports."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.mock_provider.conftest import OPENAI_KEY, RunningMock

OPENAI_AUTH = {"authorization": f"Bearer {OPENAI_KEY}"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
HEALTHY = {
    "status": 500,
    "fail_next": 0,
    "fail_share": 0.0,
    "seed": 0,
    "retry_after_s": None,
    "latency_s": 0.0,
    "break_stream_after": None,
    "omit_usage": False,
    "refuse_connections": False,
}
ZERO = {"requests": 0, "served": 0, "failed": 0, "broken_streams": 0, "websockets": 0, "paths": {}}


@pytest.fixture
def api(faulty_mock: RunningMock, control: httpx.Client) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=faulty_mock.url, timeout=30) as client:
        yield client


def test_state_of_a_healthy_instance(control: httpx.Client) -> None:
    assert control.get("/_mock/faults").json() == {"schedule": HEALTHY, "stats": ZERO}
    assert control.get("/_mock/stats").json() == ZERO


def test_post_replaces_the_whole_schedule(control: httpx.Client) -> None:
    first = control.post("/_mock/faults", json={"fail_next": 4, "status": 429, "retry_after_s": 3})
    assert first.json()["schedule"] == {**HEALTHY, "fail_next": 4, "status": 429, "retry_after_s": 3}
    second = control.post("/_mock/faults", json={"latency_s": 0.25})
    assert second.json()["schedule"] == {**HEALTHY, "latency_s": 0.25}
    cleared = control.delete("/_mock/faults")
    assert cleared.json()["schedule"] == HEALTHY
    assert control.get("/_mock/faults").json()["schedule"] == HEALTHY


def test_counters_per_path(api: httpx.Client, control: httpx.Client) -> None:
    for _ in range(3):
        assert api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH).status_code == 200
    assert api.get("/v1/models", headers=OPENAI_AUTH).status_code == 200
    assert api.post("/api/embed", json={"model": "m", "input": "x"}).status_code == 200
    # neither health checks, nor the control API, nor unknown paths count
    api.get("/healthz")
    api.get("/_mock/stats")
    assert api.post("/v1/nowhere", json={}, headers=OPENAI_AUTH).status_code == 404
    expected = {
        "requests": 5,
        "served": 5,
        "failed": 0,
        "broken_streams": 0,
        "websockets": 0,
        "paths": {"/v1/chat/completions": 3, "/v1/models": 1, "/api/embed": 1},
    }
    assert control.get("/_mock/stats").json() == expected
    assert control.get("/_mock/faults").json()["stats"] == expected
    assert control.delete("/_mock/stats").json() == ZERO
    assert control.get("/_mock/stats").json() == ZERO


def test_counters_survive_a_new_schedule(api: httpx.Client, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 1})
    api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)
    control.post("/_mock/faults", json={"fail_next": 1})
    api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)
    assert control.get("/_mock/stats").json()["failed"] == 2


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        (b"not json", "malformed"),
        (b"", "truncated"),
        (b"[]", "Expected `object`"),
        (b'{"fail_nxt": 1}', "unknown field `fail_nxt`"),
        (b'{"fail_next": -1}', "$.fail_next"),
        (b'{"fail_next": "2"}', "$.fail_next"),
        (b'{"status": 200}', "$.status"),
        (b'{"status": 600}', "$.status"),
        (b'{"fail_share": 1.5}', "$.fail_share"),
        (b'{"latency_s": -1}', "$.latency_s"),
        (b'{"retry_after_s": 1.5}', "$.retry_after_s"),
        (b'{"refuse_connections": "yes"}', "$.refuse_connections"),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(
    api: httpx.Client, control: httpx.Client, body: bytes, hint: str
) -> None:
    control.post("/_mock/faults", json={"seed": 9})
    for client in (control, api):
        response = client.post("/_mock/faults", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400
        message = response.json()["error"]
        assert message.startswith("not a fault schedule: ")
        assert hint in message
    assert control.get("/_mock/faults").json()["schedule"] == {**HEALTHY, "seed": 9}
    assert api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH).status_code == 200


def test_unknown_control_routes_and_methods(control: httpx.Client) -> None:
    missing = control.get("/_mock/nothing")
    assert missing.status_code == 404
    assert "/_mock/faults" in missing.json()["error"]
    wrong = control.put("/_mock/faults", json={})
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST, DELETE"
    assert control.post("/_mock/stats").headers["allow"] == "GET, DELETE"


def test_control_port_serves_control_only(faulty_mock: RunningMock, control: httpx.Client) -> None:
    assert faulty_mock.control_url != faulty_mock.url
    assert control.get("/healthz").json()["status"] == "ok"
    refused = control.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)
    assert refused.status_code == 404
    assert "/_mock/" in refused.json()["error"]
    assert control.get("/_mock/stats").json()["requests"] == 0


def test_control_api_on_the_api_port(api: httpx.Client, control: httpx.Client) -> None:
    set_here = api.post("/_mock/faults", json={"fail_next": 1, "status": 502})
    assert set_here.status_code == 200
    assert "connection" not in set_here.headers  # only turning refusal on closes the connection
    assert control.get("/_mock/faults").json()["schedule"]["fail_next"] == 1
    assert api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH).status_code == 502
