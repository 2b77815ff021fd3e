"""The mock bills cache reads, cache writes and reasoning in the providers' shapes, read through
the official SDKs, and can leave a stream's usage report out."""

from __future__ import annotations

import uuid

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.mock_provider.conftest import ANTHROPIC_KEY, OPENAI_KEY, RunningMock


def long_prompt(words: int = 1100) -> str:
    """A prompt past the 1024-token caching minimum, new to the instance's cache."""
    unique = uuid.uuid4().hex
    return " ".join([unique, *(["lorem"] * (words - 1))])


def test_openai_chat_reads_a_repeated_long_prompt_from_the_cache(openai_client: openai.OpenAI) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": long_prompt()}
    ]
    first = openai_client.chat.completions.create(model="gpt-4o", messages=messages)
    second = openai_client.chat.completions.create(model="gpt-4o", messages=messages)
    assert first.usage is not None and second.usage is not None
    assert first.usage.prompt_tokens == second.usage.prompt_tokens == 1100
    assert first.usage.prompt_tokens_details is not None
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    assert second.usage.prompt_tokens_details is not None
    assert second.usage.prompt_tokens_details.cached_tokens == 1024  # in 128-token steps


def test_openai_chat_short_prompts_are_never_cached(openai_client: openai.OpenAI) -> None:
    for _ in range(2):
        done = openai_client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert done.usage is not None and done.usage.prompt_tokens_details is not None
        assert done.usage.prompt_tokens_details.cached_tokens == 0


def test_openai_reasoning_models_bill_reasoning_inside_the_output(openai_client: openai.OpenAI) -> None:
    plain = openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    thinking = openai_client.chat.completions.create(
        model="o3-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert plain.usage is not None and thinking.usage is not None
    assert plain.usage.completion_tokens_details is not None
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0
    assert thinking.usage.completion_tokens_details is not None
    reasoning = thinking.usage.completion_tokens_details.reasoning_tokens
    assert reasoning == plain.usage.completion_tokens == 12
    assert thinking.usage.completion_tokens == plain.usage.completion_tokens + reasoning
    assert thinking.choices[0].message.content is not None
    assert len(thinking.choices[0].message.content.split()) == 12  # the reasoning is not shown


def test_openai_chat_stream_reports_the_kinds_in_its_usage_chunk(openai_client: openai.OpenAI) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": long_prompt()}
    ]
    openai_client.chat.completions.create(model="o4-mini", messages=messages)
    stream = openai_client.chat.completions.create(
        model="o4-mini", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    usage = [chunk.usage for chunk in stream if chunk.usage is not None]
    assert len(usage) == 1
    assert usage[0].prompt_tokens_details is not None and usage[0].completion_tokens_details is not None
    assert usage[0].prompt_tokens_details.cached_tokens == 1024
    assert usage[0].completion_tokens_details.reasoning_tokens == 12
    assert usage[0].completion_tokens == 24


def test_responses_api_reports_cache_reads_and_reasoning(openai_client: openai.OpenAI) -> None:
    prompt = long_prompt()
    openai_client.responses.create(model="gpt-5", input=prompt)
    done = openai_client.responses.create(model="gpt-5", input=prompt)
    assert done.usage is not None
    assert done.usage.input_tokens == 1100
    assert done.usage.input_tokens_details.cached_tokens == 1024
    assert done.usage.output_tokens_details.reasoning_tokens == 12
    assert done.usage.output_tokens == 24
    with openai_client.responses.stream(model="gpt-5", input=prompt) as stream:
        final = stream.get_final_response()
    assert final.usage is not None
    assert final.usage.input_tokens_details.cached_tokens == 1024
    assert final.usage.output_tokens_details.reasoning_tokens == 12


def cached_system(prompt: str, ttl: str | None = None) -> list[anthropic.types.TextBlockParam]:
    control: anthropic.types.CacheControlEphemeralParam = {"type": "ephemeral"}
    if ttl is not None:
        control["ttl"] = "1h" if ttl == "1h" else "5m"
    return [{"type": "text", "text": prompt, "cache_control": control}]


@pytest.mark.parametrize(("ttl", "five_minutes", "one_hour"), [(None, 1100, 0), ("1h", 0, 1100)])
def test_anthropic_writes_then_reads_a_marked_prefix(
    anthropic_client: anthropic.Anthropic, ttl: str | None, five_minutes: int, one_hour: int
) -> None:
    system = cached_system(long_prompt(), ttl)
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "two words"}]
    first = anthropic_client.messages.create(
        model="claude-sonnet-4-20250514", max_tokens=64, system=system, messages=messages
    )
    assert first.usage.cache_creation_input_tokens == 1100
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == five_minutes
    assert first.usage.cache_creation.ephemeral_1h_input_tokens == one_hour
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.input_tokens == 2  # Anthropic's input_tokens leave the cache out
    second = anthropic_client.messages.create(
        model="claude-sonnet-4-20250514", max_tokens=64, system=system, messages=messages
    )
    assert second.usage.cache_read_input_tokens == 1100
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == 2


def test_anthropic_without_cache_control_caches_nothing(anthropic_client: anthropic.Anthropic) -> None:
    for _ in range(2):
        done = anthropic_client.messages.create(
            model="claude-sonnet-4-20250514",
            max_tokens=64,
            system=long_prompt(),
            messages=[{"role": "user", "content": "hi"}],
        )
        assert done.usage.cache_creation_input_tokens == done.usage.cache_read_input_tokens == 0
        assert done.usage.input_tokens == 1101


def test_anthropic_stream_usage_is_cumulative(anthropic_client: anthropic.Anthropic) -> None:
    system = cached_system(long_prompt())
    stream = anthropic_client.messages.create(
        model="claude-sonnet-4-20250514",
        max_tokens=64,
        system=system,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    events = list(stream)
    start = next(e for e in events if e.type == "message_start")
    delta = next(e for e in events if e.type == "message_delta")
    assert start.message.usage.cache_creation_input_tokens == 1100
    assert start.message.usage.input_tokens == 1
    assert start.message.usage.output_tokens == 1  # provisional
    # message_delta repeats the input side and gives the output so far, not an increment
    assert delta.usage.input_tokens == 1
    assert delta.usage.cache_creation_input_tokens == 1100
    assert delta.usage.output_tokens == 12
    with anthropic_client.messages.stream(
        model="claude-sonnet-4-20250514",
        max_tokens=64,
        system=system,
        messages=[{"role": "user", "content": "hi"}],
    ) as again:
        final = again.get_final_message()
    assert final.usage.cache_read_input_tokens == 1100
    assert final.usage.output_tokens == 12


@pytest.fixture
def omitting(faulty_mock: RunningMock, control: httpx.Client) -> RunningMock:
    """``faulty_mock`` with streams that leave their usage out."""
    control.post("/_mock/faults", json={"omit_usage": True}).raise_for_status()
    return faulty_mock


def test_omit_usage_leaves_every_streams_report_out(omitting: RunningMock) -> None:
    chat = openai.OpenAI(base_url=f"{omitting.url}/v1", api_key=OPENAI_KEY, max_retries=0)
    chunks = list(
        chat.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert [c for c in chunks if c.usage is not None] == []
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).split()[0] == "Mock"
    with chat.responses.stream(model="gpt-4o", input="hi") as stream:
        assert stream.get_final_response().usage is None
    claude_body = {"model": "claude", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    claude_headers = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=omitting.url, timeout=30) as client:
        sent = client.post("/v1/messages", json={**claude_body, "stream": True}, headers=claude_headers).text
    assert "event: message_start" in sent and "event: message_delta" in sent
    assert '"usage"' not in sent
    lines = list(
        ollama.Client(host=omitting.url).chat(
            model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert lines[-1].done and lines[-1].eval_count is None and lines[-1].prompt_eval_count is None
    # answers that are not streamed keep their usage
    done = chat.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert done.usage is not None and done.usage.prompt_tokens == 1


def test_omit_usage_header_steers_one_request(mock_provider_url: str) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    body["stream_options"] = {"include_usage": True}
    headers = {"authorization": f"Bearer {OPENAI_KEY}"}
    with httpx.Client(base_url=mock_provider_url, timeout=30) as client:
        kept = client.post("/v1/chat/completions", json=body, headers=headers).text
        left = client.post(
            "/v1/chat/completions", json=body, headers={**headers, "x-mock-omit-usage": "1"}
        ).text
    assert '"prompt_tokens"' in kept
    assert '"prompt_tokens"' not in left and "[DONE]" in left
