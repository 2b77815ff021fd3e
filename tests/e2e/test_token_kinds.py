"""Every token kind, end to end: official SDKs → edge → records → ClickHouse → `ingate usage --json`.

The mock provider bills the kinds as the providers do: Anthropic writes the prompt up to a
`cache_control` breakpoint on first sight (for an hour with `ttl: 1h`) and reads it after,
OpenAI reads a long prompt it has seen from its cache, reasoning models think. Each record
must hold what the provider reported, and the report the sum of the records. Streams whose
usage report the mock leaves out (`X-Mock-Omit-Usage`) or cuts off (`X-Mock-Drop-After`) are
estimated and flagged, never 0.
"""

import asyncio
import math
import uuid

import anthropic
import httpx2
import ollama
import openai
import pytest

from ingate_contracts import RequestRecord
from tests.conftest import Edge, Translators
from tests.support.events import RecordTap, tap_records
from tests.support.processes import Service
from tests.support.usage import user_usage_when_stored

CLAUDE = "claude-sonnet-4-20250514"
# Long enough to be cached (the mock, like the providers, caches prompts of 1024 tokens and more),
# and different on every run so the first request of the test writes the cache.
LONG_WORDS = 1100
KINDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


def long_text() -> str:
    return " ".join(f"w{uuid.uuid4().hex[:6]}" for _ in range(LONG_WORDS))


def estimate(size: int) -> int:
    """The edge's estimate: four bytes a token, rounded up."""
    return math.ceil(size / 4)


async def first_record(tap: RecordTap, user: str, provider: str, timeout_s: float = 30.0) -> RequestRecord:
    """The first record of `user`'s requests to `provider` (for an SDK that shows no response headers)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = [r for r in tap.records if r.user_id == user and r.provider == provider]
        remaining = deadline - asyncio.get_running_loop().time()
        if found or remaining <= 0:
            assert found, f"no record of {user}'s {provider} request"
            return found[0]
        await tap.wait_for(len(tap.records) + 1, remaining)


@pytest.mark.timeout(300)
async def test_every_kind_reaches_the_records_and_the_usage_report(
    edge: Edge, ingate_key: str, translators: Translators, analytics: Service
) -> None:
    user = f"kinds_{uuid.uuid4().hex[:8]}"
    who = {"X-Ingate-User-Id": user}
    oai = openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0, default_headers=who)
    claude = anthropic.AsyncAnthropic(
        base_url=edge.url, api_key=ingate_key, max_retries=0, default_headers=who
    )
    records: list[RequestRecord] = []
    async with tap_records(edge.nats_url) as tap:
        # Anthropic: a 1-hour cache write, then a streamed read of the same prefix.
        system: list[anthropic.types.TextBlockParam] = [
            {"type": "text", "text": long_text(), "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ]
        raw = await claude.messages.with_raw_response.create(
            model=CLAUDE, max_tokens=20, system=system, messages=[{"role": "user", "content": "first"}]
        )
        written = (await raw.parse()).usage
        record = await tap.record_for(raw.headers["x-ingate-request-id"])
        assert written.cache_creation_input_tokens and written.cache_creation
        assert written.cache_creation.ephemeral_1h_input_tokens == written.cache_creation_input_tokens
        assert (record.input_tokens, record.cache_write_tokens, record.cache_write_1h_tokens) == (
            written.input_tokens + written.cache_creation_input_tokens,
            written.cache_creation_input_tokens,
            written.cache_creation_input_tokens,
        )
        assert (record.output_tokens, record.cache_read_tokens) == (written.output_tokens, 0)
        records.append(record)

        async with claude.messages.stream(
            model=CLAUDE, max_tokens=20, system=system, messages=[{"role": "user", "content": "again"}]
        ) as stream:
            read = (await stream.get_final_message()).usage
            request_id = stream.response.headers["x-ingate-request-id"]
        record = await tap.record_for(request_id)
        cache_read = read.cache_read_input_tokens or 0
        assert cache_read == written.cache_creation_input_tokens
        assert (record.input_tokens, record.cache_read_tokens, record.cache_write_tokens) == (
            read.input_tokens + cache_read,
            cache_read,
            0,
        )
        assert (record.output_tokens, record.usage_estimated) == (read.output_tokens, False)
        records.append(record)

        # OpenAI chat: a reasoning model, and a long prompt read from the cache the second time.
        prompt = long_text()
        for _ in range(2):
            chat = await oai.chat.completions.with_raw_response.create(
                model="o4-mini", messages=[{"role": "user", "content": prompt}]
            )
            usage = chat.parse().usage
            assert usage is not None and usage.completion_tokens_details and usage.prompt_tokens_details
            record = await tap.record_for(chat.headers["x-ingate-request-id"])
            assert (record.input_tokens, record.output_tokens) == (
                usage.prompt_tokens,
                usage.completion_tokens,
            )
            assert record.cache_read_tokens == (usage.prompt_tokens_details.cached_tokens or 0)
            assert record.reasoning_tokens == usage.completion_tokens_details.reasoning_tokens
            records.append(record)
        assert records[-1].cache_read_tokens > 0 and records[-1].reasoning_tokens > 0

        # OpenAI Responses, streamed: the kinds of response.completed.
        events = await oai.responses.with_raw_response.create(
            model="o4-mini", input="think it over", stream=True
        )
        completed = [event async for event in events.parse() if event.type == "response.completed"]
        [done] = completed
        assert done.response.usage is not None
        record = await tap.record_for(events.headers["x-ingate-request-id"])
        assert (record.input_tokens, record.output_tokens, record.reasoning_tokens) == (
            done.response.usage.input_tokens,
            done.response.usage.output_tokens,
            done.response.usage.output_tokens_details.reasoning_tokens,
        )
        assert record.reasoning_tokens > 0
        records.append(record)

        # Translated (OpenAI SDK → Anthropic provider): the provider's own numbers are counted.
        translated = openai.AsyncOpenAI(
            base_url=edge.url,
            api_key=ingate_key,
            max_retries=0,
            default_headers={**who, "X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"},
        )
        answer = await translated.chat.completions.with_raw_response.create(
            model=CLAUDE, messages=[{"role": "user", "content": "translate me"}]
        )
        shown = answer.parse().usage
        assert shown is not None
        record = await tap.record_for(answer.headers["x-ingate-request-id"])
        assert record.translated
        assert (record.input_tokens, record.output_tokens) == (shown.prompt_tokens, shown.completion_tokens)
        records.append(record)

        records += await estimated_streams(edge, ingate_key, who, tap)

    report = user_usage_when_stored(edge, user, len(records))
    [row] = report["users"]
    assert row["requests"] == len(records)
    for kind in KINDS:
        assert row[kind] == sum(getattr(r, kind) for r in records), kind
    assert row["estimated"] == sum(r.usage_estimated for r in records) == 3
    assert row["cost_usd"] == pytest.approx(sum(r.cost_usd for r in records))


async def estimated_streams(
    edge: Edge, ingate_key: str, who: dict[str, str], tap: RecordTap
) -> list[RequestRecord]:
    """Streams without a (whole) usage report, in each format: estimated and flagged."""
    omit = {**who, "X-Mock-Omit-Usage": "1"}
    records = []

    oai = openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0, default_headers=omit)
    response = await oai.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "no usage please"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in response.parse() if c.choices])
    record = await tap.record_for(response.headers["x-ingate-request-id"])
    assert record.usage_estimated
    assert (record.input_tokens, record.output_tokens) == (
        estimate(record.request_bytes),
        estimate(len(text.encode())),
    )
    records.append(record)

    # Anthropic always reports usage in its streams: what goes missing is the end of a stream that
    # broke off, here after message_start and two text deltas. The reported input stays.
    broken = anthropic.AsyncAnthropic(
        base_url=edge.url,
        api_key=ingate_key,
        max_retries=0,
        default_headers={**who, "X-Mock-Drop-After": "5"},
    )
    seen: dict[str, str] = {"text": ""}

    async def read_until_it_breaks() -> None:
        async with broken.messages.stream(
            model=CLAUDE, max_tokens=30, messages=[{"role": "user", "content": "one two three four five six"}]
        ) as stream:
            seen["request_id"] = stream.response.headers["x-ingate-request-id"]
            async for piece in stream.text_stream:
                seen["text"] += piece
                seen["input_tokens"] = str(stream.current_message_snapshot.usage.input_tokens)

    with pytest.raises((anthropic.APIError, httpx2.HTTPError)):
        await read_until_it_breaks()
    record = await tap.record_for(seen["request_id"])
    assert record.usage_estimated and record.status == 502
    assert record.input_tokens == int(seen["input_tokens"]) > 0
    assert record.output_tokens == estimate(len(seen["text"].encode())) > 0
    records.append(record)
    llama = ollama.AsyncClient(host=edge.url, headers={"Authorization": f"Bearer {ingate_key}", **omit})
    parts = await llama.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}], stream=True)
    lines = [part async for part in parts]
    assert lines[-1].done and lines[-1].eval_count is None
    text = "".join(part.message.content or "" for part in lines)
    record = await first_record(tap, who["X-Ingate-User-Id"], "ollama")
    assert record.usage_estimated
    assert (record.input_tokens, record.output_tokens) == (
        estimate(record.request_bytes),
        estimate(len(text.encode())),
    )
    records.append(record)
    return records
