"""``refuse_connections``: the API port refuses and resets, the control port stays up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.mock_provider.conftest import OPENAI_KEY, RunningMock, start_mock, stop_mock

OPENAI_AUTH = {"authorization": f"Bearer {OPENAI_KEY}"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
SLOW = {"X-Mock-Tokens-Per-Second": "5", "X-Mock-Reply-Tokens": "200"}  # 40 s unless cut
DEADLINE_S = 30.0
REFUSE = {"refuse_connections": True}


@pytest.fixture
def api(faulty_mock: RunningMock, control: httpx.Client) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=faulty_mock.url, timeout=30) as client:
        yield client
    control.delete("/_mock/faults")  # a failing test must not leave the port shut


def chat(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)


def test_new_connections_are_refused_until_cleared(faulty_mock: RunningMock, control: httpx.Client) -> None:
    state = control.post("/_mock/faults", json=REFUSE).json()
    assert state["schedule"]["refuse_connections"] is True
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{faulty_mock.url}/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{faulty_mock.url}/healthz")
    assert control.get("/healthz").json()["status"] == "ok"
    assert control.get("/_mock/faults").json()["schedule"]["refuse_connections"] is True
    control.delete("/_mock/faults").raise_for_status()
    with httpx.Client(base_url=faulty_mock.url, timeout=30) as client:
        assert chat(client).status_code == 200
    assert control.get("/_mock/stats").json()["requests"] == 1  # refused ones never arrived


def test_kept_alive_connections_are_reset(api: httpx.Client, control: httpx.Client) -> None:
    assert chat(api).status_code == 200  # the client now holds an idle connection
    control.post("/_mock/faults", json=REFUSE).raise_for_status()
    with pytest.raises(httpx.TransportError):
        chat(api)
    control.delete("/_mock/faults").raise_for_status()
    assert chat(api).status_code == 200


def test_a_stream_in_progress_is_cut(api: httpx.Client, control: httpx.Client) -> None:
    body = {**CHAT, "stream": True}
    with api.stream("POST", "/v1/chat/completions", json=body, headers={**OPENAI_AUTH, **SLOW}) as response:
        chunks = response.iter_raw()
        assert next(chunks)
        control.post("/_mock/faults", json=REFUSE).raise_for_status()
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            for _ in chunks:
                pass
    deadline = time.monotonic() + DEADLINE_S
    while control.get("/healthz").json()["active_streams"] != 0:
        assert time.monotonic() < deadline, "the cut stream is still generating"
        time.sleep(0.05)


def test_refusing_over_the_api_port_closes_that_connection(api: httpx.Client, control: httpx.Client) -> None:
    assert chat(api).status_code == 200
    answer = api.post("/_mock/faults", json=REFUSE)
    assert answer.status_code == 200
    assert answer.headers["connection"] == "close"
    with pytest.raises(httpx.ConnectError):
        chat(api)
    control.delete("/_mock/faults").raise_for_status()
    assert chat(api).status_code == 200


def test_switching_is_idempotent_and_keeps_the_rest(api: httpx.Client, control: httpx.Client) -> None:
    for _ in range(2):
        assert control.post("/_mock/faults", json=REFUSE).status_code == 200
    with pytest.raises(httpx.ConnectError):
        chat(api)
    # a new schedule without refusal opens the port and brings its own faults
    control.post("/_mock/faults", json={"fail_next": 1, "status": 503}).raise_for_status()
    assert [chat(api).status_code for _ in range(2)] == [503, 200]
    assert control.delete("/_mock/faults").status_code == 200
    assert chat(api).status_code == 200


def test_schedule_from_the_command_line(tmp_path: Path) -> None:
    flags = ["--refuse-connections", "--fail-next", "2", "--fail-status", "503", "--retry-after", "1"]
    flags += ["--fail-share", "0.25", "--fail-seed", "5", "--break-stream-after", "4"]
    mock = start_mock(tmp_path / "stderr.log", *flags)
    try:
        with (
            httpx.Client(base_url=mock.control_url, timeout=30) as control,
            httpx.Client(base_url=mock.url, timeout=30) as client,
        ):
            with pytest.raises(httpx.ConnectError):
                chat(client)
            schedule = control.get("/_mock/faults").json()["schedule"]
            assert schedule == {
                "status": 503,
                "fail_next": 2,
                "fail_share": 0.25,
                "seed": 5,
                "retry_after_s": 1,
                "latency_s": 0.0,
                "break_stream_after": 4,
                "omit_usage": False,
                "refuse_connections": True,
            }
            control.post("/_mock/faults", json={**schedule, "refuse_connections": False}).raise_for_status()
            for _ in range(2):
                failed = chat(client)
                assert failed.status_code == 503
                assert failed.headers["retry-after"] == "1"
    finally:
        stop_mock(mock.proc)
