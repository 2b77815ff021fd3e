"""The official ``openai`` SDK against the mock provider."""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

import openai
import pydantic
import pytest

from tests.mock_provider.conftest import OPENAI_KEY

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "hourly": {"type": "boolean"},
                "threshold": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {"type": "object"},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
    },
}
WEATHER_ARGS = {
    "city": "sample",
    "unit": "celsius",
    "days": 1,
    "hourly": True,
    "threshold": 1.5,
    "tags": [],
    "extra": {},
}
CALL_ID = re.compile(r"^call_[A-Za-z0-9]{24}$")


def test_chat_completion(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello big world"},
        ],
    )
    assert result.id.startswith("chatcmpl-")
    assert result.object == "chat.completion"
    assert abs(result.created - time.time()) < 120
    assert result.model == "gpt-4o-mini"
    assert result.system_fingerprint is not None
    assert result.system_fingerprint.startswith("fp_")
    choice = result.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == (
        "Mock reply from gpt-4o-mini: hello big world hello big world hello big"
    )
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (5, 12)
    assert result.usage.total_tokens == 17


def test_max_tokens_truncates_with_length(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "one two"}],
        max_completion_tokens=6,
    )
    assert result.choices[0].message.content == "Mock reply from gpt-4o: one two"
    assert result.choices[0].finish_reason == "length"
    assert result.usage is not None
    assert result.usage.completion_tokens == 6


def test_reply_tokens_header(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        extra_headers={"X-Mock-Reply-Tokens": "7"},
    )
    assert result.choices[0].message.content == "Mock reply from m: x x x"
    assert result.choices[0].finish_reason == "stop"


def test_n_choices(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], n=2, max_tokens=5
    )
    assert [c.index for c in result.choices] == [0, 1]
    assert {c.message.content for c in result.choices} == {"Mock reply from m: hi"}
    assert result.usage is not None
    assert result.usage.completion_tokens == 10


def test_stream_with_usage(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len({c.id for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    deltas = [c.choices[0].delta.content for c in chunks[1:] if c.choices]
    words = [d for d in deltas if d]
    assert len(words) == 12
    assert all(w.startswith(" ") for w in words[1:])
    assert "".join(words) == ("Mock reply from gpt-4o-mini: stream me stream me stream me stream me")
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finishing] == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (2, 12)
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage_chunk(openai_client: openai.OpenAI) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "a"}], stream=True, max_tokens=4
        )
    )
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"


def test_single_tool_call(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=[WEATHER_TOOL, TIME_TOOL],
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert CALL_ID.match(call.id)
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == WEATHER_ARGS


def test_parallel_tool_calls(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Use parallel calls please"}],
        tools=[WEATHER_TOOL, TIME_TOOL],
    )
    calls: list[Any] = list(result.choices[0].message.tool_calls or [])
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.id for c in calls}) == 2
    assert json.loads(calls[1].function.arguments) == {"zone": "sample"}


def test_parallel_disabled_and_named_choice(openai_client: openai.OpenAI) -> None:
    disabled = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "parallel"}],
        tools=[WEATHER_TOOL, TIME_TOOL],
        parallel_tool_calls=False,
    )
    assert len(disabled.choices[0].message.tool_calls or []) == 1
    named = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "parallel"}],
        tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    named_calls: list[Any] = list(named.choices[0].message.tool_calls or [])
    assert [c.function.name for c in named_calls] == ["get_time"]
    none = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        tools=[WEATHER_TOOL],
        tool_choice="none",
        max_tokens=5,
    )
    assert none.choices[0].message.tool_calls is None
    assert none.choices[0].message.content == "Mock reply from gpt-4o: hi"


def test_tool_result_turn(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_abc", "content": '{"temp": 21}'},
        ],
        tools=[WEATHER_TOOL],
    )
    assert result.choices[0].finish_reason == "stop"
    assert result.choices[0].message.content == 'Tool result received: {"temp": 21}'


def test_streamed_tool_calls_reassemble(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "parallel please"}],
        tools=[WEATHER_TOOL, TIME_TOOL],
        stream=True,
    )
    calls: dict[int, dict[str, Any]] = {}
    fragments: dict[int, int] = {}
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for tc in choice.delta.tool_calls or []:
            if tc.id is not None:
                assert tc.index not in calls
                assert tc.type == "function"
                assert tc.function is not None
                assert tc.function.arguments == ""
                calls[tc.index] = {"id": tc.id, "name": tc.function.name, "arguments": ""}
                fragments[tc.index] = 0
            else:
                assert tc.function is not None
                assert tc.function.name is None
                calls[tc.index]["arguments"] += tc.function.arguments or ""
                fragments[tc.index] += 1
    assert finish == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(CALL_ID.match(c["id"]) for c in calls.values())
    assert all(count >= 2 for count in fragments.values())
    assert json.loads(calls[0]["arguments"]) == WEATHER_ARGS
    assert json.loads(calls[1]["arguments"]) == {"zone": "sample"}


def test_stream_helper_final_completion(openai_client: openai.OpenAI) -> None:
    with openai_client.chat.completions.stream(
        model="gpt-4o",
        messages=[{"role": "user", "content": "weather"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert len(calls) == 1
    assert json.loads(calls[0].function.arguments) == WEATHER_ARGS


class Person(pydantic.BaseModel):
    name: str
    age: int
    address: Address


class Address(pydantic.BaseModel):
    street: str
    verified: bool


Person.model_rebuild()


def test_structured_output_parse(openai_client: openai.OpenAI) -> None:
    result = openai_client.chat.completions.parse(
        model="gpt-4o",
        messages=[{"role": "user", "content": "who?"}],
        response_format=Person,
    )
    parsed = result.choices[0].message.parsed
    assert parsed == Person(name="sample", age=1, address=Address(street="sample", verified=True))


def test_embeddings_float(openai_client: openai.OpenAI) -> None:
    result = openai_client.embeddings.create(
        model="text-embedding-3-small", input=["alpha beta", "gamma"], encoding_format="float"
    )
    assert result.object == "list"
    assert [d.index for d in result.data] == [0, 1]
    first, second = (d.embedding for d in result.data)
    assert len(first) == 8
    assert math.isclose(math.fsum(v * v for v in first), 1.0, rel_tol=1e-5)
    assert first != second
    assert result.usage.prompt_tokens == 3
    again = openai_client.embeddings.create(
        model="text-embedding-3-small", input="alpha beta", encoding_format="float"
    )
    assert again.data[0].embedding == first


def test_embeddings_default_base64_matches_float(openai_client: openai.OpenAI) -> None:
    decoded = openai_client.embeddings.create(model="text-embedding-3-small", input="alpha beta")
    plain = openai_client.embeddings.create(
        model="text-embedding-3-small", input="alpha beta", encoding_format="float"
    )
    assert decoded.data[0].embedding == plain.data[0].embedding
    wide = openai_client.embeddings.create(model="text-embedding-3-large", input=[[1, 2, 3]], dimensions=32)
    assert len(wide.data[0].embedding) == 32
    assert wide.usage.prompt_tokens == 3


def test_models(openai_client: openai.OpenAI) -> None:
    ids = [m.id for m in openai_client.models.list()]
    assert "gpt-4o" in ids
    assert "text-embedding-3-small" in ids
    model = openai_client.models.retrieve("gpt-4o-mini")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o-mini", "model", "system")
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.models.retrieve("no-such-model")
    assert caught.value.code == "model_not_found"


def test_responses_create_and_stream(openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(
        model="gpt-4.1", input="tell me", instructions="short", max_output_tokens=16
    )
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    expected = "Mock reply from gpt-4.1: tell me tell me tell me tell me"
    assert response.output_text == expected
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (3, 12)
    with openai_client.responses.stream(model="gpt-4.1", input="tell me") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == expected
    assert final.output_text == expected


def test_responses_function_call(openai_client: openai.OpenAI) -> None:
    tool: Any = {"type": "function", "name": "get_time", "parameters": TIME_TOOL["function"]["parameters"]}
    response = openai_client.responses.create(model="gpt-4.1", input="time?", tools=[tool])
    item = response.output[0]
    assert item.type == "function_call"
    assert item.name == "get_time"
    assert json.loads(item.arguments) == {"zone": "sample"}


async def test_async_client(mock_provider_url: str) -> None:
    client = openai.AsyncOpenAI(base_url=f"{mock_provider_url}/v1", api_key=OPENAI_KEY, max_retries=0)
    async with client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "async"}], stream=True, max_tokens=5
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == "Mock reply from m: async"


def test_status_fault_and_wrong_key(openai_client: openai.OpenAI, mock_provider_url: str) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Mock-Status": "429"},
        )
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.type == "requests"
    bad = openai.OpenAI(base_url=f"{mock_provider_url}/v1", api_key="sk-wrong-key-0123456789", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        bad.models.list()
    assert auth.value.code == "invalid_api_key"
    assert "sk-wrong-key-0123456789" not in str(auth.value)
