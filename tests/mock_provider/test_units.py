"""In-process checks: helpers, option parsing and the ASGI app without a server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from ingate_mock.app import create_app
from ingate_mock.auth import mask_key
from ingate_mock.cli import parse_options
from ingate_mock.options import MockOptions
from ingate_mock.org_limits import duration
from ingate_mock.schedule import FaultSchedule
from ingate_mock.synth import sample_arguments
from ingate_mock.text import echo_words, fragments
from ingate_mock.wire import Message


def test_sample_arguments_schema_features() -> None:
    schema = {
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "properties": {
            "point": {"$ref": "#/$defs/Point"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "kind": {"type": "string", "enum": ["b", "a"]},
            "fixed": {"const": "k"},
            "nullable": {"type": ["null", "boolean"]},
            "items": {"type": "array", "items": {"type": "string"}},
            "blob": {"type": "object"},
        },
    }
    assert sample_arguments(schema) == {
        "point": {"x": 1.5},
        "maybe": 1,
        "kind": "b",
        "fixed": "k",
        "nullable": True,
        "items": [],
        "blob": {},
    }
    assert sample_arguments(None) == {}
    assert sample_arguments({"type": "object"}) == {}


@pytest.mark.parametrize("text", ["{}", '{"a":1}', '{"city":"sample","unit":"celsius"}'])
def test_fragments_split_in_several_pieces(text: str) -> None:
    pieces = fragments(text)
    assert len(pieces) >= 2
    assert all(pieces)
    assert "".join(pieces) == text


def test_echo_words() -> None:
    assert echo_words("m", "a b c", 6) == ["Mock", "reply", "from", "m:", "a", "b"]
    assert echo_words("m", "a", 7) == ["Mock", "reply", "from", "m:", "a", "a", "a"]
    assert echo_words("m", "", 5) == ["Mock", "reply", "from", "m:", "ok"]
    assert echo_words("m", "a", 2) == ["Mock", "reply"]


def test_mask_key_never_echoes_the_key() -> None:
    masked = mask_key("sk-abcdefghijklmnop1234")
    assert masked.startswith("sk-")
    assert masked.endswith("1234")
    assert "abcdefghijklmnop" not in masked
    assert mask_key("short") == "*****"


def test_parse_options_flags_and_env() -> None:
    env = {
        "INGATE_MOCK_PORT": "9999",
        "INGATE_MOCK_OPENAI_KEY": "sk-env",
        "INGATE_MOCK_OLLAMA_KEY": "ol-env",
    }
    from_env = parse_options([], env)
    assert from_env == MockOptions(port=9999, openai_key="sk-env", ollama_key="ol-env")
    explicit = parse_options(
        [
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--openai-key",
            "sk-flag",
            "--anthropic-key",
            "sk-ant",
            "--latency-ms",
            "5",
            "--tokens-per-second",
            "40",
            "--reply-tokens",
            "3",
        ],
        env,
    )
    assert explicit == MockOptions(
        host="0.0.0.0",
        port=0,
        openai_key="sk-flag",
        anthropic_key="sk-ant",
        ollama_key="ol-env",
        latency_ms=5,
        tokens_per_second=40,
        reply_tokens=3,
    )
    assert parse_options([], {}) == MockOptions()


def _client(options: MockOptions) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(options))
    return httpx.AsyncClient(transport=transport, base_url="http://mock")


async def test_ollama_key_enforced_when_set() -> None:
    body = {"model": "m", "prompt": "x", "stream": False}
    async with _client(MockOptions(ollama_key="ol-secret")) as client:
        denied = await client.post("/api/generate", json=body)
        assert (denied.status_code, denied.json()) == (401, {"error": "unauthorized"})
        allowed = await client.post("/api/generate", json=body, headers={"Authorization": "Bearer ol-secret"})
        assert allowed.status_code == 200
        assert allowed.json()["response"].startswith("Mock reply from m:")


async def test_any_key_accepted_when_unset_and_reply_tokens_option() -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": "z"}]}
    async with _client(MockOptions(reply_tokens=5)) as client:
        response = await client.post(
            "/v1/chat/completions", json=chat, headers={"Authorization": "Bearer anything"}
        )
        assert response.json()["choices"][0]["message"]["content"] == "Mock reply from m: z"
        messages = {"model": "c", "max_tokens": 50, "messages": chat["messages"]}
        anthropic = await client.post(
            "/v1/messages",
            json=messages,
            headers={"x-api-key": "whatever", "anthropic-version": "2023-06-01"},
        )
        assert anthropic.json()["content"] == [{"type": "text", "text": "Mock reply from c: z"}]


async def test_structured_output_and_json_object() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    chat = {
        "model": "m",
        "messages": [{"role": "user", "content": "z"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
    }
    async with _client(MockOptions()) as client:
        response = await client.post("/v1/chat/completions", json=chat, headers={"Authorization": "Bearer k"})
        content = response.json()["choices"][0]["message"]["content"]
        assert json.loads(content) == {"ok": True}
        ollama = await client.post(
            "/api/chat",
            json={"model": "m", "messages": chat["messages"], "format": schema, "stream": False},
        )
        assert json.loads(ollama.json()["message"]["content"]) == {"ok": True}


async def test_stream_stops_when_receive_reports_disconnect() -> None:
    app = create_app(MockOptions())
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "z"}]}).encode()
    incoming: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    left = asyncio.Event()
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if len(sent) == 3:  # the client leaves after two lines
            left.set()

    headers = [(b"x-mock-tokens-per-second", b"5"), (b"x-mock-reply-tokens", b"200")]
    scope = {"type": "http", "method": "POST", "path": "/api/chat", "headers": headers}
    await asyncio.wait_for(app(scope, receive, send), timeout=20)  # 200 tokens at 5/s: 40 s
    assert sent[0]["status"] == 200
    assert len(sent) <= 4
    assert all(message.get("more_body") for message in sent[1:])


def test_parse_options_fault_schedule() -> None:
    flags = "--fail-next 3 --fail-status 429 --retry-after 2 --fail-share 0.5 --fail-seed 4"
    flags += " --break-stream-after 1 --omit-usage --refuse-connections --control-port 9"
    options = parse_options(flags.split(), {})
    assert options.control_port == 9
    assert options.faults == FaultSchedule(
        status=429,
        fail_next=3,
        fail_share=0.5,
        seed=4,
        retry_after_s=2,
        break_stream_after=1,
        omit_usage=True,
        refuse_connections=True,
    )
    assert parse_options([], {}).faults == FaultSchedule()


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--fail-status", "200"], "$.status"),
        (["--fail-share", "2"], "$.fail_share"),
        (["--fail-next", "-1"], "$.fail_next"),
        (["--retry-after", "-5"], "$.retry_after_s"),
    ],
)
def test_parse_options_rejects_bad_schedules(
    flags: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_options(flags, {})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "fault schedule: Expected" in err
    assert field in err


def test_openai_reset_durations() -> None:
    assert [duration(s) for s in (0, 2, 59, 60, 360, 3605)] == ["0s", "2s", "59s", "1m0s", "6m0s", "1h0m5s"]


async def test_in_process_schedule_without_a_server() -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": "z"}]}
    auth = {"Authorization": "Bearer k"}
    async with _client(MockOptions(faults=FaultSchedule(fail_next=1, status=502))) as client:
        assert (await client.post("/v1/chat/completions", json=chat, headers=auth)).status_code == 502
        assert (await client.post("/v1/chat/completions", json=chat, headers=auth)).status_code == 200
        refused = await client.post("/_mock/faults", json={"refuse_connections": True})
        assert refused.status_code == 409
        assert "own server" in refused.json()["error"]
        state = (await client.get("/_mock/faults")).json()
        assert state["schedule"]["refuse_connections"] is False
        assert state["stats"]["requests"] == 2
