"""Wire-level checks with plain httpx: credentials, faults, errors, SSE framing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.mock_provider.conftest import ANTHROPIC_KEY, OPENAI_KEY

OPENAI_AUTH = {"authorization": f"Bearer {OPENAI_KEY}"}
ANTHROPIC_AUTH = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
MESSAGES = {"model": "claude", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
OLLAMA_CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
TOOLS = [
    {"name": "a", "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}}},
    {"name": "b", "input_schema": {"type": "object", "properties": {"y": {"type": "integer"}}}},
]


@pytest.fixture(scope="module")
def http(mock_provider_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_provider_url, timeout=10) as client:
        yield client


def sse_events(raw: str) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE frame."""
    frames = []
    assert raw.endswith("\n\n")
    for block in raw.strip("\n").split("\n\n"):
        name = None
        data = []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            else:
                assert field == "data", line
                data.append(value)
        frames.append((name, "\n".join(data)))
    return frames


def test_health_and_root(http: httpx.Client) -> None:
    health = http.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert set(body) == {"status", "active_streams"}
    assert body["status"] == "ok"
    assert isinstance(body["active_streams"], int)
    assert http.get("/").text == "Ollama is running"


def test_openai_missing_and_wrong_key(http: httpx.Client) -> None:
    missing = http.post("/v1/chat/completions", json=CHAT)
    assert missing.status_code == 401
    assert missing.json()["error"]["message"].startswith("You didn't provide an API key")
    wrong_key = "sk-proj-abcdefghijklmnop-xyz9"
    wrong = http.post("/v1/chat/completions", json=CHAT, headers={"authorization": f"Bearer {wrong_key}"})
    assert wrong.status_code == 401
    error = wrong.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_api_key"
    assert error["param"] is None
    assert error["message"].startswith("Incorrect API key provided: sk-")
    assert "xyz9." in error["message"]
    assert wrong_key not in error["message"]
    assert wrong.headers["x-request-id"].startswith("req_")


def test_anthropic_wrong_key_and_missing_version(http: httpx.Client) -> None:
    wrong = http.post(
        "/v1/messages",
        json=MESSAGES,
        headers={"x-api-key": "sk-bad", "anthropic-version": "2023-06-01"},
    )
    assert wrong.status_code == 401
    body = wrong.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert body["request_id"] == wrong.headers["request-id"]
    assert body["request_id"].startswith("req_")
    no_version = http.post("/v1/messages", json=MESSAGES, headers={"x-api-key": ANTHROPIC_KEY})
    assert no_version.status_code == 400
    assert no_version.json()["error"] == {
        "type": "invalid_request_error",
        "message": "anthropic-version: header is required",
    }


def test_anthropic_max_tokens_required(http: httpx.Client) -> None:
    body = {"model": "claude", "messages": [{"role": "user", "content": "hi"}]}
    response = http.post("/v1/messages", json=body, headers=ANTHROPIC_AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }


def test_openai_missing_parameter(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "m"}, headers=OPENAI_AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("messages", "missing_required_parameter")


@pytest.mark.parametrize(
    ("path", "headers", "check"),
    [
        (
            "/v1/chat/completions",
            OPENAI_AUTH,
            lambda b: b["error"]["message"].startswith("We could not parse the JSON body"),
        ),
        (
            "/v1/messages",
            ANTHROPIC_AUTH,
            lambda b: b["type"] == "error" and b["error"]["type"] == "invalid_request_error",
        ),
        ("/api/chat", {}, lambda b: set(b) == {"error"} and isinstance(b["error"], str)),
    ],
)
@pytest.mark.parametrize(
    "body",
    [b'{"model": "x", ', b'{"model": "\xff\xfe"}'],
    ids=["truncated", "invalid-utf8-in-string"],
)
def test_malformed_json(
    http: httpx.Client, path: str, headers: dict[str, str], check: Any, body: bytes
) -> None:
    response = http.post(path, content=body, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert check(response.json())


@pytest.mark.parametrize(
    ("path", "payload", "headers", "status", "expected"),
    [
        (
            "/v1/chat/completions",
            CHAT,
            OPENAI_AUTH,
            429,
            {"type": "requests", "code": "rate_limit_exceeded", "param": None},
        ),
        ("/v1/chat/completions", CHAT, OPENAI_AUTH, 500, {"type": "server_error", "code": None}),
        ("/v1/messages", MESSAGES, ANTHROPIC_AUTH, 429, {"type": "rate_limit_error"}),
        ("/v1/messages", MESSAGES, ANTHROPIC_AUTH, 500, {"type": "api_error"}),
        ("/v1/messages", MESSAGES, ANTHROPIC_AUTH, 529, {"type": "overloaded_error"}),
        ("/api/chat", OLLAMA_CHAT, {}, 500, None),
    ],
)
def test_injected_status(
    http: httpx.Client,
    path: str,
    payload: dict[str, Any],
    headers: dict[str, str],
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    response = http.post(path, json=payload, headers={**headers, "x-mock-status": str(status)})
    assert response.status_code == status
    body = response.json()
    if expected is None:
        assert set(body) == {"error"}
        assert isinstance(body["error"], str)
        return
    error = body["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    for key, value in expected.items():
        assert error[key] == value
    if path == "/v1/messages":
        assert body["type"] == "error"


@pytest.mark.parametrize(
    ("path", "payload", "headers"),
    [
        ("/v1/chat/completions", {**CHAT, "stream": True}, OPENAI_AUTH),
        ("/v1/messages", {**MESSAGES, "stream": True}, ANTHROPIC_AUTH),
        ("/api/chat", OLLAMA_CHAT, {}),
    ],
)
def test_drop_after_breaks_stream(
    http: httpx.Client, path: str, payload: dict[str, Any], headers: dict[str, str]
) -> None:
    chunks: list[bytes] = []
    dropping = {**headers, "X-Mock-Drop-After": "3"}
    with pytest.raises(httpx.RemoteProtocolError):
        _collect(http, path, payload, dropping, chunks)
    received = b"".join(chunks)
    separator = b"\n" if path == "/api/chat" else b"\n\n"
    assert received.count(separator) == 3
    # the same request without the header completes normally
    with http.stream("POST", path, json=payload, headers=headers) as r:
        assert len(r.read()) > len(received)


def _collect(
    http: httpx.Client,
    path: str,
    payload: dict[str, Any],
    headers: dict[str, str],
    chunks: list[bytes],
) -> None:
    with http.stream("POST", path, json=payload, headers=headers) as response:
        assert response.status_code == 200
        chunks.extend(response.iter_raw())


def test_anthropic_text_event_order(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json={**MESSAGES, "stream": True}, headers=ANTHROPIC_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names == (
        ["message_start", "content_block_start", "ping"]
        + ["content_block_delta"] * 12
        + ["content_block_stop", "message_delta", "message_stop"]
    )
    payloads = [json.loads(data) for _, data in events]
    assert all(p["type"] == name for p, name in zip(payloads, names, strict=True))
    start = payloads[0]["message"]
    assert (start["role"], start["content"], start["stop_reason"]) == ("assistant", [], None)
    assert start["usage"]["input_tokens"] == 1
    assert payloads[1]["content_block"] == {"type": "text", "text": ""}
    assert payloads[3]["delta"] == {"type": "text_delta", "text": "Mock"}
    assert payloads[4]["delta"] == {"type": "text_delta", "text": " reply"}
    assert payloads[-2]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    # cumulative, as Anthropic's: the input side repeated, the output so far
    usage = {"input_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    assert payloads[-2]["usage"] == {**usage, "output_tokens": 12}


def test_anthropic_tool_use_event_order(http: httpx.Client) -> None:
    payload = {
        **MESSAGES,
        "stream": True,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "parallel"}],
    }
    events = sse_events(http.post("/v1/messages", json=payload, headers=ANTHROPIC_AUTH).text)
    names = [name for name, _ in events]
    payloads = [json.loads(data) for _, data in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    starts = [p for p in payloads if p["type"] == "content_block_start"]
    assert [s["index"] for s in starts] == [0, 1]
    for start, expected_input in zip(starts, ({"x": "sample"}, {"y": 1}), strict=True):
        block = start["content_block"]
        assert block["type"] == "tool_use"
        assert block["id"].startswith("toolu_")
        assert block["input"] == {}
        index = start["index"]
        deltas = [p["delta"] for p in payloads if p["type"] == "content_block_delta" and p["index"] == index]
        assert len(deltas) >= 2
        assert all(d["type"] == "input_json_delta" for d in deltas)
        assert json.loads("".join(d["partial_json"] for d in deltas)) == expected_input
    # every block is closed before the next opens
    block_events = [n for n in names if n in ("content_block_start", "content_block_stop")]
    assert block_events == ["content_block_start", "content_block_stop"] * 2
    assert payloads[-2]["delta"]["stop_reason"] == "tool_use"


def test_openai_sse_framing(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions", json={**CHAT, "stream": True, "max_tokens": 3}, headers=OPENAI_AUTH
    )
    frames = sse_events(response.text)
    assert all(name is None for name, _ in frames)
    assert frames[-1][1] == "[DONE]"
    chunks = [json.loads(data) for _, data in frames[:-1]]
    assert len(chunks) == 5
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_ollama_ndjson(http: httpx.Client) -> None:
    response = http.post("/api/generate", json={"model": "x", "prompt": "p"})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.text.splitlines()
    assert len(lines) == 13
    final = json.loads(lines[-1])
    assert final["done"] is True
    for key in ("done_reason", "total_duration", "load_duration", "prompt_eval_count"):
        assert key in final
    for key in ("prompt_eval_duration", "eval_count", "eval_duration"):
        assert key in final


def test_echo_headers(http: httpx.Client) -> None:
    headers = {**OPENAI_AUTH, "X-Mock-Echo-Headers": "1", "X-Caller-Thing": "abc"}
    body = http.post("/v1/chat/completions", json=CHAT, headers=headers).json()
    echoed = body["mock_received_headers"]
    assert echoed["authorization"] == f"Bearer {OPENAI_KEY}"
    assert echoed["x-caller-thing"] == "abc"
    assert echoed["x-mock-echo-headers"] == "1"
    plain = http.post("/v1/chat/completions", json=CHAT, headers=OPENAI_AUTH).json()
    assert "mock_received_headers" not in plain


def test_latency_and_pacing(http: httpx.Client) -> None:
    started = time.monotonic()
    ok = http.get("/api/tags", headers={"X-Mock-Latency-Ms": "300"})
    assert ok.status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    paced = http.post(
        "/api/generate",
        json={"model": "x", "prompt": "p"},
        headers={"X-Mock-Tokens-Per-Second": "20", "X-Mock-Reply-Tokens": "5"},
    )
    assert len(paced.text.splitlines()) == 6
    assert time.monotonic() - started >= 0.2


def test_not_found_and_method(http: httpx.Client) -> None:
    openai_404 = http.post("/v1/nope", headers=OPENAI_AUTH)
    assert openai_404.status_code == 404
    assert openai_404.json()["error"]["message"] == "Invalid URL (POST /v1/nope)"
    anthropic_404 = http.post("/v1/messages/nope", headers=ANTHROPIC_AUTH)
    assert anthropic_404.status_code == 404
    assert anthropic_404.json()["error"]["type"] == "not_found_error"
    ollama_404 = http.get("/api/nope")
    assert (ollama_404.status_code, ollama_404.json()) == (404, {"error": "404 page not found"})
    wrong_method = http.get("/v1/chat/completions", headers=OPENAI_AUTH)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["error"]["message"].startswith("Invalid method for URL")


def test_bad_control_header(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json=CHAT, headers={**OPENAI_AUTH, "X-Mock-Status": "200"})
    assert response.status_code == 400
    assert "X-Mock-Status" in response.json()["error"]["message"]


def test_models_by_dialect(http: httpx.Client) -> None:
    openai_models = http.get("/v1/models", headers=OPENAI_AUTH).json()
    assert openai_models["object"] == "list"
    anthropic_models = http.get("/v1/models", headers=ANTHROPIC_AUTH).json()
    assert anthropic_models["has_more"] is False
    assert anthropic_models["data"][0]["type"] == "model"
