"""Streams that fail after their 200 status line are recorded, and counted, as errors.

A provider that drops its stream mid-way (the mock's `X-Mock-Drop-After`) is recorded as 502
`upstream_stream_broken`, passthrough or translated; a client that leaves mid-stream as 499
`client_disconnected`. Both count in `ingate usage` errors: edge → JetStream → analytics →
ClickHouse → usage query → the command.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from tests.conftest import Edge, Translators
from tests.support.events import tap_records
from tests.support.processes import Service
from tests.support.usage import user_usage_when_stored

OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-sonnet-4-20250514"
HI: Any = [{"role": "user", "content": "hi"}]
DROP = {"X-Mock-Drop-After": "3"}  # the mock provider cuts its connection after three events
SLOW = {"X-Mock-Tokens-Per-Second": "5", "X-Mock-Reply-Tokens": "200"}  # 40 s: long enough to leave
# What the SDKs raise when the connection under a stream is cut (Anthropic's runs on httpx2).
BROKEN = (httpx.HTTPError, httpx2.HTTPError, openai.APIError, anthropic.APIError)

Headers = dict[str, str]
Outcome = tuple[str, Exception | None]  # the request id, and what the SDK raised while streaming
Stream = Callable[[Edge, str, Headers], Awaitable[Outcome]]


def _attribution() -> Headers:
    tag = uuid.uuid4().hex[:8]
    return {"X-Ingate-User-Id": f"user_{tag}", "X-Ingate-Session-Id": f"sess_{tag}"}


async def _openai(edge: Edge, key: str, headers: Headers, model: str = OPENAI_MODEL) -> Outcome:
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=key, max_retries=0, default_headers=headers)
    try:
        raw = await client.chat.completions.with_raw_response.create(model=model, messages=HI, stream=True)
        try:
            async for _ in raw.parse():
                pass
        except BROKEN as exc:
            return raw.headers["x-ingate-request-id"], exc
        return raw.headers["x-ingate-request-id"], None
    finally:
        await client.close()


async def _translated(edge: Edge, key: str, headers: Headers) -> Outcome:
    """OpenAI chat streamed from the Anthropic provider, translated both ways."""
    translate = {"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"}
    return await _openai(edge, key, {**headers, **translate}, model=ANTHROPIC_MODEL)


async def _anthropic(edge: Edge, key: str, headers: Headers) -> Outcome:
    client = anthropic.AsyncAnthropic(base_url=edge.url, api_key=key, max_retries=0, default_headers=headers)
    try:
        async with client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=50, messages=HI) as stream:
            request_id = stream.response.headers["x-ingate-request-id"]
            try:
                await stream.get_final_message()
            except BROKEN as exc:
                return request_id, exc
            return request_id, None
    finally:
        await client.close()


async def _leave_mid_stream(edge: Edge, key: str, headers: Headers) -> str:
    """Read the first chunk of a long stream, then close it; the request id."""
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=key, max_retries=0, default_headers=headers)
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model=OPENAI_MODEL, messages=HI, stream=True, extra_headers=SLOW
        )
        stream = raw.parse()
        await anext(aiter(stream))
        await stream.close()  # closes the response, and with it the connection
        return raw.headers["x-ingate-request-id"]
    finally:
        await client.close()


STREAMS: dict[str, Stream] = {"openai": _openai, "anthropic": _anthropic, "translated": _translated}


def _totals(row: dict[str, Any]) -> tuple[int, int]:
    return row["requests"], row["errors"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sdk", sorted(STREAMS))
async def test_a_stream_the_provider_breaks_is_recorded_and_counted_as_an_error(
    sdk: str, edge: Edge, ingate_key: str, translators: Translators, analytics: Service
) -> None:
    who = _attribution()
    async with tap_records(edge.nats_url) as tap:
        request_id, raised = await STREAMS[sdk](edge, ingate_key, {**who, **DROP})
        record = await tap.record_for(request_id)
    assert raised is not None, "the SDK must see the stream break"
    assert (record.status, record.error_type) == (502, "upstream_stream_broken")
    assert (record.stream, record.translated) == (True, sdk == "translated")
    assert record.response_bytes > 0  # the events before the drop reached the client
    report = await asyncio.to_thread(user_usage_when_stored, edge, who["X-Ingate-User-Id"], 1)
    [user] = report["users"]
    [session] = report["sessions"]
    assert _totals(user) == _totals(session) == (1, 1)


@pytest.mark.timeout(120)
async def test_usage_counts_broken_streams_and_departed_clients_as_errors(
    edge: Edge, ingate_key: str, analytics: Service
) -> None:
    who = _attribution()
    async with tap_records(edge.nats_url) as tap:
        whole_id, raised = await _openai(edge, ingate_key, who)
        assert raised is None
        broken_id, raised = await _anthropic(edge, ingate_key, {**who, **DROP})
        assert raised is not None
        left_id = await _leave_mid_stream(edge, ingate_key, who)
        records = [await tap.record_for(request_id) for request_id in (whole_id, broken_id, left_id)]
    assert [(r.status, r.error_type) for r in records] == [
        (200, ""),
        (502, "upstream_stream_broken"),
        (499, "client_disconnected"),
    ]
    report = await asyncio.to_thread(user_usage_when_stored, edge, who["X-Ingate-User-Id"], 3)
    [user] = report["users"]
    [session] = report["sessions"]
    assert _totals(user) == _totals(session) == (3, 2)
