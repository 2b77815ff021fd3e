"""An instance's fault schedule over plain HTTP: every path, counters, headers, bad bodies."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.mock_provider.conftest import ANTHROPIC_KEY, OPENAI_KEY, RunningMock

OPENAI_AUTH = {"authorization": f"Bearer {OPENAI_KEY}"}
ANTHROPIC_AUTH = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
USER = [{"role": "user", "content": "hello"}]
CHAT = {"model": "gpt-4o", "messages": USER}
MESSAGES = {"model": "claude", "max_tokens": 64, "messages": USER}
OLLAMA_CHAT = {"model": "llama3.2", "messages": USER}
# (path, body, headers): every kind of API call, streamed and not
CALLS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("/v1/chat/completions", CHAT, OPENAI_AUTH),
    ("/v1/chat/completions", {**CHAT, "stream": True}, OPENAI_AUTH),
    ("/v1/responses", {"model": "gpt-4o", "input": "hi"}, OPENAI_AUTH),
    ("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}, OPENAI_AUTH),
    ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}, OPENAI_AUTH),
    ("/v1/messages", MESSAGES, ANTHROPIC_AUTH),
    ("/v1/messages", {**MESSAGES, "stream": True}, ANTHROPIC_AUTH),
    ("/api/chat", {**OLLAMA_CHAT, "stream": False}, {}),
    ("/api/chat", OLLAMA_CHAT, {}),  # Ollama streams unless told not to
    ("/api/embed", {"model": "all-minilm", "input": "hi"}, {}),
]
CALL_IDS = [
    "chat",
    "chat-stream",
    "responses",
    "responses-stream",
    "embeddings",
    "messages",
    "messages-stream",
    "ollama-chat",
    "ollama-chat-stream",
    "ollama-embed",
]


@pytest.fixture
def api(faulty_mock: RunningMock, control: httpx.Client) -> Iterator[httpx.Client]:
    """A client of the instance's API port (``control`` has reset the instance)."""
    with httpx.Client(base_url=faulty_mock.url, timeout=30) as client:
        yield client


def chat(api: httpx.Client) -> httpx.Response:
    return api.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH)


def schedule(control: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = control.post("/_mock/faults", json=fields)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def assert_error_shape(path: str, response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    if path.startswith("/api/"):
        assert isinstance(body["error"], str)
        assert body["error"]
    elif path == "/v1/messages":
        assert body["type"] == "error"
        assert body["error"]["type"] == ("overloaded_error" if status == 529 else "api_error")
        assert body["request_id"] == response.headers["request-id"]
    else:
        assert body["error"]["type"] == "server_error"
        assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(("path", "body", "headers"), CALLS, ids=CALL_IDS)
def test_fail_next_fails_exactly_n_then_serves(
    api: httpx.Client,
    control: httpx.Client,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    status = 529 if path == "/v1/messages" else 503
    state = schedule(control, fail_next=2, status=status)
    assert state["schedule"]["fail_next"] == 2
    for left in (1, 0):
        assert_error_shape(path, api.post(path, json=body, headers=headers), status)
        assert control.get("/_mock/faults").json()["schedule"]["fail_next"] == left
    served = api.post(path, json=body, headers=headers)
    assert served.status_code == 200
    assert served.content
    stats = control.get("/_mock/stats").json()
    counts = {"requests": 3, "served": 1, "failed": 2, "broken_streams": 0, "websockets": 0}
    assert stats == {**counts, "paths": {path: 3}}


def test_fail_share_repeats_with_the_seed(api: httpx.Client, control: httpx.Client) -> None:
    draws = random.Random(11)
    expected = [draws.random() < 0.4 for _ in range(30)]
    patterns = []
    for _ in range(2):
        schedule(control, fail_share=0.4, seed=11, status=500)
        patterns.append([chat(api).status_code == 500 for _ in range(30)])
    assert patterns == [expected, expected]
    assert any(expected)
    assert not all(expected)
    schedule(control, fail_share=0.4, seed=12, status=500)
    other = [chat(api).status_code == 500 for _ in range(30)]
    assert other != expected
    assert control.get("/_mock/stats").json()["failed"] == 2 * sum(expected) + sum(other)


def test_fail_next_comes_before_the_share(api: httpx.Client, control: httpx.Client) -> None:
    schedule(control, fail_next=3, fail_share=1.0, status=502)
    assert [chat(api).status_code for _ in range(5)] == [502] * 5
    schedule(control, fail_next=1, fail_share=0.0)
    assert [chat(api).status_code for _ in range(3)] == [500, 200, 200]


async def test_concurrent_requests_share_fail_next(faulty_mock: RunningMock, control: httpx.Client) -> None:
    # the wait makes the twelve requests overlap in the mock
    schedule(control, fail_next=5, status=500, latency_s=0.2)
    async with httpx.AsyncClient(base_url=faulty_mock.url, timeout=60) as client:
        calls = [client.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH) for _ in range(12)]
        statuses = [r.status_code for r in await asyncio.gather(*calls)]
        stats = (await client.get("/_mock/stats")).json()
    assert sorted(statuses) == [200] * 7 + [500] * 5
    assert (stats["requests"], stats["served"], stats["failed"]) == (12, 7, 5)


def test_openai_429_headers(api: httpx.Client, control: httpx.Client) -> None:
    schedule(control, fail_next=1, status=429, retry_after_s=2)
    limited = chat(api)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert limited.json()["error"]["type"] == "requests"
    assert int(limited.headers["retry-after"]) == 2
    assert limited.headers["x-ratelimit-reset-requests"] == "2s"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert len(limited.headers.get_list("x-ratelimit-reset-requests")) == 1
    assert chat(api).headers["x-ratelimit-remaining-requests"] != "0"


def test_429_without_retry_after_still_says_when(api: httpx.Client, control: httpx.Client) -> None:
    schedule(control, fail_next=1, status=429)
    limited = chat(api)
    assert limited.status_code == 429
    assert "retry-after" not in limited.headers
    assert limited.headers["x-ratelimit-reset-requests"] == "1s"


def test_anthropic_429_headers(api: httpx.Client, control: httpx.Client) -> None:
    schedule(control, fail_next=1, status=429, retry_after_s=30)
    before = dt.datetime.now(dt.UTC)
    limited = api.post("/v1/messages", json=MESSAGES, headers=ANTHROPIC_AUTH)
    after = dt.datetime.now(dt.UTC)
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert int(limited.headers["retry-after"]) == 30
    assert limited.headers["anthropic-ratelimit-requests-remaining"] == "0"
    reset = dt.datetime.fromisoformat(limited.headers["anthropic-ratelimit-requests-reset"])
    assert reset.tzinfo is not None
    # 30 s from when the mock answered, rounded up to a whole second
    assert before + dt.timedelta(seconds=29) <= reset <= after + dt.timedelta(seconds=31)


@pytest.mark.parametrize("status", [503, 529])
def test_retry_after_on_other_statuses(api: httpx.Client, control: httpx.Client, status: int) -> None:
    schedule(control, fail_next=2, status=status, retry_after_s=4)
    for path, body, headers in (CALLS[5], CALLS[7]):
        failed = api.post(path, json=body, headers=headers)
        assert failed.status_code == status
        assert failed.headers["retry-after"] == "4"


def test_latency_slows_answers_and_failures(api: httpx.Client, control: httpx.Client) -> None:
    schedule(control, latency_s=0.5, fail_next=1)
    for expected in (500, 200):
        started = time.monotonic()
        assert chat(api).status_code == expected
        # a lower bound only: the mock must have waited, however busy the machine
        assert time.monotonic() - started >= 0.45


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [CALLS[1], CALLS[6], CALLS[8]],
    ids=["chat-stream", "messages-stream", "ollama-chat-stream"],
)
def test_break_stream_after(
    api: httpx.Client,
    control: httpx.Client,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    separator = b"\n" if path.startswith("/api/") else b"\n\n"
    schedule(control, break_stream_after=3)
    assert chat(api).status_code == 200  # only streams break
    for extra, events in (({}, 3), ({"X-Mock-Drop-After": "5"}, 5)):
        chunks: list[bytes] = []
        with pytest.raises(httpx.RemoteProtocolError):
            _collect(api, path, body, {**headers, **extra}, chunks)
        assert b"".join(chunks).count(separator) == events
    assert control.get("/_mock/stats").json()["broken_streams"] == 2
    control.delete("/_mock/faults")
    with api.stream("POST", path, json=body, headers=headers) as response:
        assert response.read().count(separator) > 5


def _collect(
    api: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str], chunks: list[bytes]
) -> None:
    with api.stream("POST", path, json=body, headers=headers) as response:
        assert response.status_code == 200
        chunks.extend(response.iter_raw())
