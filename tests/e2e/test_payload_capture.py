"""Payload capture through real edges: who is captured, what is kept (cut, redacted, streams
as their final message), and that the edge keeps serving whatever the body holds."""

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import anthropic
import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionToolParam

from ingate_contracts.payloads import PayloadRecord
from ingate_nats import NatsServer
from tests.conftest import MOCK_ANTHROPIC_KEY, MOCK_OPENAI_KEY, Edge, Translators, start_edge
from tests.support.events import tap_records
from tests.support.payloads import PayloadTap, tap_payloads
from tests.support.processes import clean_env, run_cli

MAX_BYTES = 4096
ACCOUNT = "ACCT-4242-4242"  # what the operator's pattern below matches
REDACT = '["ACCT-[0-9]{4}-[0-9]{4}"]'
TIMEOUT = httpx.Timeout(30.0)
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello there"}]}
WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def capturing_edge(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    """An edge capturing every request (INGATE_PAYLOADS_ENABLED), with a small cap and an
    operator pattern."""
    running = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-capturing",
        data_dir=tmp_path_factory.mktemp("capturing-edge"),
        INGATE_PAYLOADS_ENABLED="true",
        INGATE_PAYLOADS_MAX_BYTES=str(MAX_BYTES),
        INGATE_PAYLOADS_REDACT=REDACT,
    )
    try:
        yield running
    finally:
        running.service.stop()


@pytest.fixture(scope="module")
def plain_key(capturing_edge: Edge) -> str:
    return capturing_edge.new_key("--name", "no-log-payloads")


def post(
    edge: Edge, key: str, path: str, body: bytes | Mapping[str, object], **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{edge.url}{path}",
        content=content,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json", **headers},
        timeout=TIMEOUT,
    )


async def captured(tap: PayloadTap, response: httpx.Response) -> PayloadRecord:
    return await tap.payload_for(response.headers["x-ingate-request-id"])


async def test_a_key_with_log_payloads_is_captured_and_one_without_is_not(edge: Edge) -> None:
    logged = edge.new_key("--name", "logged", "--log-payloads")
    quiet = edge.new_key("--name", "quiet")
    async with tap_payloads(edge.nats_url) as tap, tap_records(edge.nats_url) as records:
        skipped = post(edge, quiet, "/v1/chat/completions", CHAT)
        kept = post(edge, logged, "/v1/chat/completions", CHAT)
        assert skipped.status_code == kept.status_code == 200
        payload = await captured(tap, kept)
        record = await records.record_for(kept.headers["x-ingate-request-id"])
    # One publisher, one connection, in order: the first request's payload would have come first.
    assert skipped.headers["x-ingate-request-id"] not in tap.payloads
    assert tap.msg_ids[payload.request_id] == f"payload:{payload.request_id}"
    assert json.loads(payload.request_body) == CHAT
    assert payload.response_body == kept.text  # the bytes the caller got, request id field and all
    assert not payload.truncated and not payload.redacted
    assert payload.ts == record.ts
    assert record.attempt_targets == ["openai/gpt-4o"]


def test_log_payloads_is_shown_and_can_be_switched_off(edge: Edge) -> None:
    key_id = json.loads(edge.cli("keys", "create", "--log-payloads", "--json")[1])["key_id"]
    code, out, err = edge.cli("keys", "list", "--json")
    assert code == 0, err
    assert {k["key_id"]: k["log_payloads"] for k in json.loads(out)}[key_id] is True
    code, out, _ = edge.cli("keys", "list")
    assert "log-payloads" in next(line for line in out.splitlines() if key_id in line)
    code, out, err = edge.cli("keys", "update", key_id, "--log-payloads", "false", "--json")
    assert code == 0, err
    assert json.loads(out)["log_payloads"] is False
    code, _, err = edge.cli("keys", "update", key_id, "--log-payloads", "maybe")
    assert code == 2 and "--log-payloads must be true or false" in err


async def test_enabled_captures_every_key_and_redacts_what_must_not_leave(
    capturing_edge: Edge, plain_key: str
) -> None:
    other_key = capturing_edge.new_key("--name", "mentioned")  # an Ingate key the caller pastes
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": f"my key is {other_key}, account {ACCOUNT}"}],
    }
    async with tap_payloads(capturing_edge.nats_url) as tap:
        # The mock echoes the headers it got: the provider credential the edge added, and a
        # header of the caller's carrying an Ingate key, come back in the answer.
        answer = post(
            capturing_edge, plain_key, "/v1/chat/completions", body,
            **{"x-mock-echo-headers": "true", "x-note": f"from {plain_key}"},
        )  # fmt: skip
        assert answer.status_code == 200
        assert MOCK_OPENAI_KEY in answer.text and plain_key in answer.text  # so there was something to hide
        payload = await captured(tap, answer)
    stored = payload.request_body + payload.response_body
    for secret in (MOCK_OPENAI_KEY, plain_key, other_key, ACCOUNT, "sk-ingate-"):
        assert secret not in stored
    assert payload.redacted and "[REDACTED]" in payload.request_body and "[REDACTED]" in payload.response_body


async def test_bodies_are_cut_at_the_cap_on_a_character_boundary(
    capturing_edge: Edge, plain_key: str
) -> None:
    # Two-byte characters, so the cap falls inside one unless the cut looks for a boundary.
    text = "é" * (MAX_BYTES * 2)
    async with tap_payloads(capturing_edge.nats_url) as tap:
        answer = post(
            capturing_edge,
            plain_key,
            "/v1/chat/completions",
            {**CHAT, "messages": [{"role": "user", "content": text}]},
        )
        payload = await captured(tap, answer)
    assert payload.truncated
    kept = payload.request_body.encode()
    assert MAX_BYTES - 4 <= len(kept) <= MAX_BYTES
    assert "\ufffd" not in payload.request_body
    assert len(payload.response_body.encode()) <= MAX_BYTES  # the mock's answer echoes the prompt


async def test_a_secret_across_the_cap_is_not_half_kept(capturing_edge: Edge, plain_key: str) -> None:
    prefix = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "'
    filler = "x" * (MAX_BYTES - len(prefix) - 30)  # the key starts 30 bytes before the cap
    body = f'{prefix}{filler}{plain_key} and more"}}]}}'.encode()
    async with tap_payloads(capturing_edge.nats_url) as tap:
        answer = post(capturing_edge, plain_key, "/v1/chat/completions", body, **{"x-mock-reply-tokens": "2"})
        payload = await captured(tap, answer)
    assert plain_key[10:30] not in payload.request_body  # the key characters before the cap
    assert payload.redacted
    # Redacted, the body is shorter than the cap: kept whole, so not truncated.
    assert payload.request_body == f'{prefix}{filler}[REDACTED] and more"}}]}}'
    assert not payload.truncated


async def test_a_secret_past_the_cap_is_cut_after_redaction(capturing_edge: Edge, plain_key: str) -> None:
    prefix = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "'
    filler = "x" * (MAX_BYTES - len(prefix) - 5)  # the key starts 5 bytes before the cap
    body = f'{prefix}{filler}{plain_key}{"z" * MAX_BYTES}"}}]}}'.encode()
    async with tap_payloads(capturing_edge.nats_url) as tap:
        answer = post(capturing_edge, plain_key, "/v1/chat/completions", body)
        payload = await captured(tap, answer)
    assert payload.request_body == f"{prefix}{filler}[REDA"
    assert payload.truncated and payload.redacted


async def test_hostile_bodies_are_captured_and_the_edge_keeps_serving(
    capturing_edge: Edge, plain_key: str
) -> None:
    binary = b"\xff\xfe\x00\x80" + os.urandom(64)
    huge = json.dumps({**CHAT, "messages": [{"role": "user", "content": "y" * (1024 * 1024 - 200)}]}).encode()
    async with tap_payloads(capturing_edge.nats_url) as tap:
        refused = post(capturing_edge, plain_key, "/v1/chat/completions", binary)
        assert refused.status_code == 400 and refused.json()["error"]
        broken = await captured(tap, refused)
        big = post(capturing_edge, plain_key, "/v1/chat/completions", huge)
        assert big.status_code == 200
        large = await captured(tap, big)
    assert broken.request_body.startswith("\ufffd\ufffd\x00\ufffd")
    assert broken.response_body == refused.text  # the error in the caller's dialect
    assert large.truncated and len(large.request_body.encode()) <= MAX_BYTES
    assert post(capturing_edge, plain_key, "/v1/chat/completions", CHAT).status_code == 200


async def test_an_openai_stream_is_stored_as_its_final_message(capturing_edge: Edge, plain_key: str) -> None:
    client = openai.AsyncOpenAI(base_url=capturing_edge.url, api_key=plain_key, max_retries=0)
    async with tap_payloads(capturing_edge.nats_url) as tap:
        text_stream = await client.chat.completions.with_raw_response.create(**CHAT, stream=True)  # type: ignore[call-overload]
        chunks = [chunk async for chunk in text_stream.parse()]
        tool_stream = await client.chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "weather in Paris?"}],
            tools=[WEATHER_TOOL],
            stream=True,
        )
        tool_chunks = [chunk async for chunk in tool_stream.parse()]
        text_payload = await tap.payload_for(text_stream.headers["x-ingate-request-id"])
        tool_payload = await tap.payload_for(tool_stream.headers["x-ingate-request-id"])
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    message = json.loads(text_payload.response_body)
    assert message["object"] == "chat.completion"
    assert message["choices"][0]["message"]["content"] == streamed
    assert message["usage"]["completion_tokens"] > 0  # the usage chunk the edge asked for
    calls = [call for c in tool_chunks if c.choices for call in c.choices[0].delta.tool_calls or []]
    stored = json.loads(tool_payload.response_body)["choices"][0]
    assert stored["finish_reason"] == "tool_calls"
    assert [c["function"]["name"] for c in stored["message"]["tool_calls"]] == ["get_weather"]
    arguments = "".join(call.function.arguments or "" for call in calls if call.function)
    assert json.loads(stored["message"]["tool_calls"][0]["function"]["arguments"]) == json.loads(arguments)


async def test_an_anthropic_stream_is_stored_as_its_final_message(
    capturing_edge: Edge, plain_key: str
) -> None:
    client = anthropic.AsyncAnthropic(base_url=capturing_edge.url, api_key=plain_key, max_retries=0)
    async with tap_payloads(capturing_edge.nats_url) as tap:
        async with client.messages.stream(
            model="claude-sonnet-4-20250514", max_tokens=50, messages=[{"role": "user", "content": "hey"}]
        ) as stream:
            final = await stream.get_final_message()
            request_id = stream.response.headers["x-ingate-request-id"]
        payload = await tap.payload_for(request_id)
    stored = json.loads(payload.response_body)
    assert stored["type"] == "message"
    assert stored["content"] == [block.model_dump(exclude_none=True) for block in final.content]
    assert stored["usage"]["output_tokens"] == final.usage.output_tokens
    assert MOCK_ANTHROPIC_KEY not in payload.request_body + payload.response_body


async def test_an_ollama_stream_is_stored_as_one_answer(capturing_edge: Edge, plain_key: str) -> None:
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with tap_payloads(capturing_edge.nats_url) as tap:
        answer = post(capturing_edge, plain_key, "/api/chat", body)
        payload = await captured(tap, answer)
    lines = [json.loads(line) for line in answer.text.splitlines() if line.strip()]
    stored = json.loads(payload.response_body)
    assert stored["done"] is True
    assert stored["message"]["content"] == "".join(line["message"]["content"] for line in lines)


async def test_a_translated_stream_is_stored_in_the_caller_s_dialect(
    capturing_edge: Edge, plain_key: str, translators: Translators
) -> None:
    client = anthropic.AsyncAnthropic(
        base_url=capturing_edge.url,
        api_key=plain_key,
        max_retries=0,
        default_headers={"X-Ingate-Provider": "openai", "X-Ingate-Translate": "true"},
    )
    async with tap_payloads(capturing_edge.nats_url) as tap:
        async with client.messages.stream(
            model="gpt-4o", max_tokens=50, messages=[{"role": "user", "content": "hey there"}]
        ) as stream:
            final = await stream.get_final_message()
            request_id = stream.response.headers["x-ingate-request-id"]
        payload = await tap.payload_for(request_id)
    stored = json.loads(payload.response_body)
    assert stored["type"] == "message" and stored["role"] == "assistant"  # Anthropic's, not OpenAI's
    assert [b["text"] for b in stored["content"]] == [b.text for b in final.content if b.type == "text"]


def test_an_invalid_redact_pattern_stops_the_edge_at_start(capturing_edge: Edge) -> None:
    env = clean_env(**{**capturing_edge.env, "INGATE_PAYLOADS_REDACT": "fine\n(unclosed"})
    done = run_cli("edge", env=env, timeout_s=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "INGATE_PAYLOADS_REDACT[1]" in lines[0] and "(unclosed" in lines[0]
