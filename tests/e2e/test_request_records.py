"""Each request's record carries what the SDK saw: tokens, cost, stream flag, timings."""

import anthropic
import ollama
import openai
import pytest

from ingate_contracts import RequestRecord
from ingate_pricing import PriceTable
from ingate_providers import Usage
from tests.conftest import Edge, Translators
from tests.support.events import tap_records

PRICES = PriceTable.shipped()


def _only(records: list[RequestRecord], request_id: str) -> RequestRecord:
    found = [r for r in records if r.request_id == request_id]
    assert len(found) == 1, f"{len(found)} records for {request_id}"
    return found[0]


async def test_openai_non_stream_tokens_and_cost(edge: Edge, ingate_key: str) -> None:
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0)
    async with tap_records(edge.nats_url) as tap:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "count my tokens please"}]
        )
        records = await tap.wait_for(1)
    completion = raw.parse()
    record = _only(records, raw.headers["x-ingate-request-id"])
    assert completion.usage is not None
    assert (record.input_tokens, record.output_tokens) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )
    assert record.price_known
    assert record.cost_usd == pytest.approx(
        PRICES.cost(
            "gpt-4o",
            Usage(
                input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
                cache_read_tokens=record.cache_read_tokens,
            ),
            "openai",
        )[0]
    )
    assert record.cost_usd > 0
    assert (record.status, record.stream, record.provider, record.endpoint) == (
        200,
        False,
        "openai",
        "chat.completions",
    )
    assert 0 < record.upstream_ms <= record.ttfb_ms <= record.latency_ms


async def test_openai_stream_counts_tokens_without_showing_an_unasked_usage_chunk(
    edge: Edge, ingate_key: str
) -> None:
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0)
    async with tap_records(edge.nats_url) as tap:
        response = await client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "a b c"}], stream=True
        )
        chunks = [chunk async for chunk in response.parse()]
        records = await tap.wait_for(1)
    assert all(chunk.choices for chunk in chunks), "a usage-only chunk reached a caller who did not ask"
    assert all(chunk.usage is None for chunk in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    record = _only(records, response.headers["x-ingate-request-id"])
    assert record.stream
    assert record.output_tokens == len(text.split())
    assert record.input_tokens > 0


async def test_openai_stream_with_include_usage_keeps_the_callers_chunk(edge: Edge, ingate_key: str) -> None:
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0)
    async with tap_records(edge.nats_url) as tap:
        response = await client.chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x y"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in response.parse()]
        records = await tap.wait_for(1)
    usage = chunks[-1].usage
    assert usage is not None
    record = _only(records, response.headers["x-ingate-request-id"])
    assert (record.input_tokens, record.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)


async def test_anthropic_stream_tokens(edge: Edge, ingate_key: str) -> None:
    client = anthropic.AsyncAnthropic(base_url=edge.url, api_key=ingate_key, max_retries=0)
    async with tap_records(edge.nats_url) as tap:
        async with client.messages.stream(
            model="claude-sonnet-4-20250514", max_tokens=50, messages=[{"role": "user", "content": "hey"}]
        ) as stream:
            final = await stream.get_final_message()
        records = await tap.wait_for(1)
    record = next(r for r in records if r.provider == "anthropic")
    assert (record.input_tokens, record.output_tokens) == (
        final.usage.input_tokens,
        final.usage.output_tokens,
    )
    assert record.price_known
    assert record.cost_usd > 0


async def test_ollama_stream_tokens_and_unknown_price(edge: Edge, ingate_key: str) -> None:
    client = ollama.AsyncClient(host=edge.url, headers={"Authorization": f"Bearer {ingate_key}"})
    async with tap_records(edge.nats_url) as tap:
        parts = [
            p
            async for p in await client.chat(
                model="llama3.2", messages=[{"role": "user", "content": "q"}], stream=True
            )
        ]
        records = await tap.wait_for(1)
    record = next(r for r in records if r.provider == "ollama")
    assert (record.input_tokens, record.output_tokens) == (parts[-1].prompt_eval_count, parts[-1].eval_count)
    assert record.cost_usd == 0
    assert not record.price_known  # a local model has no catalog price: flagged, not silently free


async def test_translated_stream_tokens(edge: Edge, ingate_key: str, translators: Translators) -> None:
    client = openai.AsyncOpenAI(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"},
        max_retries=0,
    )
    async with tap_records(edge.nats_url) as tap:
        stream = await client.chat.completions.create(
            model="claude-sonnet-4-20250514",
            messages=[{"role": "user", "content": "one two"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        records = await tap.wait_for(1)
    usage = chunks[-1].usage
    assert usage is not None
    record = next(r for r in records if r.translated)
    assert (record.input_tokens, record.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    assert record.stream


async def test_failed_requests_are_recorded_too(edge: Edge) -> None:
    async with tap_records(edge.nats_url) as tap:
        client = openai.AsyncOpenAI(base_url=edge.url, api_key="sk-ingate-wrong-key-000000000", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        records = await tap.wait_for(1)
    record = _only(records, caught.value.response.headers["x-ingate-request-id"])
    assert (record.status, record.error_type, record.key_id) == (401, "invalid_api_key", "")
