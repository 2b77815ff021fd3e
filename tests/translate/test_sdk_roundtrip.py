"""Each official SDK against a backend speaking the other format, through the translator:
a tool-using conversation, streamed and not, and the errors the SDK must raise."""

import json
from typing import Any

import anthropic
import openai
import pytest

from ingate_translate import TranslatedRequest
from tests.translate import test_anthropic_openai_stream as openai_backend
from tests.translate import test_openai_anthropic_stream as anthropic_backend
from tests.translate.support import Gateway, Json, Pair, Reply, anthropic_events, dumps, openai_events

WEATHER_OPENAI: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
WEATHER_ANTHROPIC: Any = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": WEATHER_OPENAI["function"]["parameters"],
}


def anthropic_message(*content: Json, stop: str) -> Reply:
    body = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": list(content),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 30, "output_tokens": 12},
    }
    return Reply(body=dumps(body))


def sent(gateway: Gateway, number: int = -1) -> Json:
    body: Json = json.loads(gateway.requests[number].body)
    return body


def test_openai_sdk_tool_loop_against_anthropic() -> None:
    replies = iter(
        [
            anthropic_message(
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
                stop="tool_use",
            ),
            anthropic_message({"type": "text", "text": "It is 18C in Paris."}, stop="end_turn"),
        ]
    )
    gateway = Gateway(Pair("openai-chat", "anthropic-messages"), lambda _: next(replies))
    client = gateway.openai()
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(
        model="claude-sonnet-4-5", messages=messages, tools=[WEATHER_OPENAI]
    )
    reply = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and reply.content == "Checking."
    assert reply.tool_calls is not None
    tool_call: Any = reply.tool_calls[0]
    assert (tool_call.id, tool_call.function.name, json.loads(tool_call.function.arguments)) == (
        "toolu_01",
        "get_weather",
        {"city": "Paris"},
    )
    messages += [
        reply.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": tool_call.id, "content": "18C"},
    ]
    second = client.chat.completions.create(
        model="claude-sonnet-4-5", messages=messages, tools=[WEATHER_OPENAI]
    )
    assert second.choices[0].message.content == "It is 18C in Paris."
    assert second.usage is not None and second.usage.total_tokens == 42
    assert sent(gateway)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"}]},
    ]
    assert sent(gateway)["tools"] == [WEATHER_ANTHROPIC]


def test_openai_sdk_stream_helper_assembles_parallel_tool_calls() -> None:
    events = anthropic_events(*anthropic_backend.CASES["thinking_text_and_two_tools"].events)
    gateway = Gateway(Pair("openai-chat", "anthropic-messages"), lambda _: Reply(events=events))
    client = gateway.openai()
    with client.chat.completions.stream(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "Weather and time?"}],
        tools=[WEATHER_OPENAI],
        stream_options={"include_usage": True},
    ) as stream:
        done = [e for e in stream if e.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()
    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [
        (0, "get_weather", {"city": "Paris"}),
        (1, "get_time", {"zone": "Europe/Paris"}),
    ]
    calls = final.choices[0].message.tool_calls or []
    assert [c.id for c in calls] == ["toolu_weather", "toolu_time"]
    assert final.usage is not None and final.usage.prompt_tokens == 25
    assert sent(gateway)["stream"] is True


def test_openai_sdk_raises_on_a_stream_error_event() -> None:
    events = anthropic_events(*anthropic_backend.CASES["error_event"].events)
    client = Gateway(Pair("openai-chat", "anthropic-messages"), lambda _: Reply(events=events)).openai()
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    with pytest.raises(openai.APIError, match="Overloaded"):
        for _ in stream:
            pass


def test_openai_sdk_sees_refused_parameters_as_bad_requests() -> None:
    client = Gateway(Pair("openai-chat", "anthropic-messages"), lambda _: Reply()).openai()
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}], n=2)
    assert raised.value.param == "n" and raised.value.status_code == 400


def openai_completion(message: Json, finish: str) -> Reply:
    body = {
        "id": "chatcmpl-7",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
    }
    return Reply(body=dumps(body))


def test_anthropic_sdk_tool_loop_against_openai() -> None:
    call = {
        "id": "call_7",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    replies = iter(
        [
            openai_completion({"content": None, "tool_calls": [call]}, "tool_calls"),
            openai_completion({"content": "It is 18C in Paris."}, "stop"),
        ]
    )
    gateway = Gateway(Pair("anthropic-messages", "openai-chat"), lambda _: next(replies))
    client = gateway.anthropic()
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(
        model="gpt-4o", max_tokens=200, messages=messages, tools=[WEATHER_ANTHROPIC]
    )
    assert first.stop_reason == "tool_use"
    block = first.content[0]
    assert block.type == "tool_use" and (block.id, block.input) == ("call_7", {"city": "Paris"})
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "18C"}]},
    ]
    second = client.messages.create(
        model="gpt-4o", max_tokens=200, messages=messages, tools=[WEATHER_ANTHROPIC]
    )
    assert second.content[0].type == "text" and second.content[0].text == "It is 18C in Paris."
    assert (second.usage.input_tokens, second.usage.output_tokens) == (30, 12)
    assert sent(gateway)["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "content": "18C", "tool_call_id": "call_7"},
    ]


def test_anthropic_sdk_stream_helper_with_interleaved_tool_calls() -> None:
    events = openai_backend.CASES["interleaved_fragments"].events
    gateway = Gateway(Pair("anthropic-messages", "openai-chat"), lambda _: Reply(events=events))
    with gateway.anthropic().messages.stream(
        model="gpt-4o", max_tokens=200, messages=[{"role": "user", "content": "Weather and time?"}]
    ) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert texts == ["Both:"]
    assert [(b.type, getattr(b, "input", None)) for b in final.content] == [
        ("text", None),
        ("tool_use", {"city": "Paris"}),
        ("tool_use", {"zone": "Europe/Paris"}),
    ]
    assert final.usage.input_tokens == 20


def test_anthropic_sdk_stream_error_raises() -> None:
    chunk = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    gateway = Gateway(Pair("anthropic-messages", "openai-chat"), lambda _: Reply(events=openai_events(chunk)))
    stream = gateway.anthropic().messages.create(
        model="gpt-4o", max_tokens=10, messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    with pytest.raises(anthropic.APIStatusError) as raised:
        list(stream)
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Rate limit reached"},
    }


def test_anthropic_sdk_sees_refused_parameters_as_bad_requests() -> None:
    def never(_: TranslatedRequest) -> Reply:
        raise AssertionError("a refused request must not reach the backend")

    client = Gateway(Pair("anthropic-messages", "openai-chat"), never).anthropic()
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(
            model="gpt-4o",
            max_tokens=10,
            messages=[{"role": "user", "content": "Hi"}],
            extra_body={"top_k": 5},
        )
    assert "top_k" in raised.value.message and raised.value.status_code == 400
