"""Scheduled faults as the official SDKs see them (no retries: each call is one request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.mock_provider.conftest import ANTHROPIC_KEY, OPENAI_KEY, RunningMock

USER: Any = [{"role": "user", "content": "hello"}]  # both SDKs' message types


@pytest.fixture
def oai(faulty_mock: RunningMock, control: httpx.Client) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{faulty_mock.url}/v1", api_key=OPENAI_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
def ant(faulty_mock: RunningMock, control: httpx.Client) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=faulty_mock.url, api_key=ANTHROPIC_KEY, max_retries=0) as client:
        yield client


def test_openai_two_failures_then_success(oai: openai.OpenAI, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 2, "status": 500})
    with pytest.raises(openai.InternalServerError) as first:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert first.value.status_code == 500
    with pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    reply = oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert (reply.choices[0].message.content or "").startswith("Mock reply from gpt-4o: hello")


def test_openai_responses_and_embeddings_fail_too(oai: openai.OpenAI, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 2, "status": 503})
    with pytest.raises(openai.InternalServerError) as responses:
        oai.responses.create(model="gpt-4o", input="hi")
    assert responses.value.status_code == 503
    with pytest.raises(openai.InternalServerError):
        oai.embeddings.create(model="text-embedding-3-small", input="hi")
    assert oai.embeddings.create(model="text-embedding-3-small", input="hi").data


def test_openai_rate_limit(oai: openai.OpenAI, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 1, "status": 429, "retry_after_s": 2})
    with pytest.raises(openai.RateLimitError) as limited:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert limited.value.code == "rate_limit_exceeded"
    headers = limited.value.response.headers
    assert int(headers["retry-after"]) == 2
    assert headers["x-ratelimit-reset-requests"] == "2s"


def test_openai_fail_share_pattern_repeats(oai: openai.OpenAI, control: httpx.Client) -> None:
    patterns = []
    for _ in range(2):
        control.post("/_mock/faults", json={"fail_share": 0.5, "status": 502, "seed": 1})
        outcome = []
        for _ in range(16):
            try:
                oai.embeddings.create(model="text-embedding-3-small", input="x")
                outcome.append(200)
            except openai.InternalServerError as exc:
                outcome.append(exc.status_code)
        patterns.append(outcome)
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 502}


def test_anthropic_overloaded_then_success(ant: anthropic.Anthropic, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 2, "status": 529})
    with pytest.raises(anthropic.OverloadedError) as first:
        ant.messages.create(model="claude", max_tokens=64, messages=USER)
    assert first.value.status_code == 529
    with pytest.raises(anthropic.OverloadedError):
        ant.messages.create(model="claude", max_tokens=64, messages=USER, stream=True)
    reply = ant.messages.create(model="claude", max_tokens=64, messages=USER)
    assert reply.content[0].type == "text"
    assert reply.stop_reason == "end_turn"


def test_anthropic_internal_error(ant: anthropic.Anthropic, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 1, "status": 500})
    with pytest.raises(anthropic.InternalServerError) as failed:
        ant.messages.create(model="claude", max_tokens=64, messages=USER)
    assert failed.value.status_code == 500
    assert not isinstance(failed.value, anthropic.OverloadedError)


def test_anthropic_rate_limit(ant: anthropic.Anthropic, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 1, "status": 429, "retry_after_s": 5})
    with pytest.raises(anthropic.RateLimitError) as limited:
        ant.messages.create(model="claude", max_tokens=64, messages=USER)
    headers = limited.value.response.headers
    assert int(headers["retry-after"]) == 5
    reset = dt.datetime.fromisoformat(headers["anthropic-ratelimit-requests-reset"])
    assert reset > dt.datetime.now(dt.UTC)  # five seconds ahead when sent
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_ollama_failure(faulty_mock: RunningMock, control: httpx.Client) -> None:
    control.post("/_mock/faults", json={"fail_next": 1, "status": 503})
    client = ollama.Client(host=faulty_mock.url)
    with pytest.raises(ollama.ResponseError) as failed:
        client.chat(model="llama3.2", messages=USER)
    assert failed.value.status_code == 503
    assert "server busy" in failed.value.error
    assert client.chat(model="llama3.2", messages=USER).message.content


def test_sdks_see_refused_connections(
    oai: openai.OpenAI, ant: anthropic.Anthropic, control: httpx.Client
) -> None:
    assert control.post("/_mock/faults", json={"refuse_connections": True}).status_code == 200
    with pytest.raises(openai.APIConnectionError):
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    with pytest.raises(anthropic.APIConnectionError):
        ant.messages.create(model="claude", max_tokens=64, messages=USER)
    control.delete("/_mock/faults").raise_for_status()
    assert oai.chat.completions.create(model="gpt-4o", messages=USER).choices
    assert ant.messages.create(model="claude", max_tokens=64, messages=USER).content
