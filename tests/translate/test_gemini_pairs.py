"""Gemini as the provider for OpenAI chat and Anthropic callers, through their official SDKs:
thinking and its signatures, function calls and their results over two turns, streams under
every batching and with Gemini's bytes cut all through them, and Gemini's errors."""

import json
from typing import Any

import anthropic
import openai
import pytest

from ingate_translate import SseEvent, TranslatedRequest, ir
from ingate_translate.shapes.gemini_parts import unseal
from tests.translate.support import (
    Gateway,
    Json,
    Pair,
    Reply,
    anthropic_events,
    anthropic_stream,
    dumps,
    openai_chunks,
    run_every_batching,
)

TO_GEMINI_FROM_CHAT = Pair("openai-chat", "gemini-generate")
TO_GEMINI_FROM_CLAUDE = Pair("anthropic-messages", "gemini-generate")
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
USAGE: Json = {
    "promptTokenCount": 40,
    "candidatesTokenCount": 12,
    "totalTokenCount": 80,
    "thoughtsTokenCount": 28,
}
WEATHER: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def candidate(*parts: Json, finish: str | None = "STOP", usage: Json | None = USAGE) -> Json:
    body: Json = {
        "candidates": [{"content": {"role": "model", "parts": list(parts)}, "index": 0}],
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-g1",
    }
    if finish:
        body["candidates"][0]["finishReason"] = finish
    if usage:
        body["usageMetadata"] = usage
    return body


THOUGHT: Json = {"text": "Two cities: two calls.", "thought": True}
PARIS: Json = {
    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
    "thoughtSignature": SIGNATURE,
}
ROME: Json = {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}
CALLS = candidate(THOUGHT, PARIS, ROME)


def sent(gateway: Gateway, number: int = -1) -> tuple[TranslatedRequest, Json]:
    translated = gateway.requests[number]
    body: Json = json.loads(translated.body)
    return translated, body


def model_turn(body: Json) -> Json:
    turn: Json = body["contents"][1]
    return turn


def test_a_chat_caller_runs_gemini_tools_over_two_turns() -> None:
    gateway = Gateway(TO_GEMINI_FROM_CHAT, lambda _: Reply(body=dumps(CALLS)))
    client = gateway.openai()
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    messages: Any = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    first = client.chat.completions.create(model="gemini-2.5-flash", messages=messages, tools=tools)
    translated, body = sent(gateway)
    assert translated.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert body["tools"] == [
        {"functionDeclarations": [{"name": "get_weather", "parametersJsonSchema": WEATHER}]}
    ]
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    assert [call.id for call in message.tool_calls or []] == ["call_get_weather_0", "call_get_weather_1"]
    assert first.usage is not None and (first.usage.prompt_tokens, first.usage.completion_tokens) == (40, 40)
    extra = message.model_extra or {}
    assert extra["reasoning_content"] == "Two cities: two calls."
    assert {"type": "thinking", "thinking": "", "signature": SIGNATURE} in extra["thinking_blocks"]

    results = [
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"} for call in message.tool_calls or []
    ]
    history: Any = [*messages, message.model_dump(exclude_none=True), *results]  # sent back unchanged
    client.chat.completions.create(model="gemini-2.5-flash", messages=history, tools=tools)
    _, body = sent(gateway)
    assert model_turn(body)["parts"] == [THOUGHT, PARIS, ROME]  # the signature on its call, as it came
    response = {"name": "get_weather", "response": {"output": "sunny"}}
    assert body["contents"][2] == {"role": "user", "parts": [{"functionResponse": response}] * 2}


def test_a_claude_caller_runs_gemini_tools_over_two_turns() -> None:
    gateway = Gateway(TO_GEMINI_FROM_CLAUDE, lambda _: Reply(body=dumps(CALLS)))
    client = gateway.anthropic()
    tools: Any = [{"name": "get_weather", "input_schema": WEATHER}]
    thinking: Any = {"type": "enabled", "budget_tokens": 2048}
    messages: Any = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    first = client.messages.create(
        model="gemini-2.5-flash", max_tokens=4096, messages=messages, tools=tools, thinking=thinking
    )
    _, body = sent(gateway)
    assert body["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 2048}
    assert [block.type for block in first.content] == ["thinking", "thinking", "tool_use", "tool_use"]
    assert first.stop_reason == "tool_use"
    signed = first.content[1]
    assert signed.type == "thinking" and signed.signature == SIGNATURE

    results = [
        {"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}
        for block in first.content
        if block.type == "tool_use"
    ]
    history = [
        *messages,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": results},
    ]
    client.messages.create(
        model="gemini-2.5-flash", max_tokens=4096, messages=history, tools=tools, thinking=thinking
    )
    _, body = sent(gateway)
    assert model_turn(body)["parts"] == [THOUGHT, PARIS, ROME]


def gemini_stream(*chunks: Json) -> list[SseEvent]:
    return [SseEvent("", json.dumps(item)) for item in chunks]


STREAM = gemini_stream(
    candidate({"text": "Two cities", "thought": True}, finish=None, usage={"promptTokenCount": 40}),
    candidate({"text": ": two calls.", "thought": True}, finish=None, usage=None),
    candidate({"text": "Checking "}, finish=None, usage=None),
    candidate({"text": "both."}, PARIS, finish=None, usage=None),
    candidate(ROME),
)


def test_a_gemini_stream_for_a_chat_caller() -> None:
    context = TO_GEMINI_FROM_CHAT.request(
        dumps({"model": "g", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    ).context
    chunks = openai_chunks(run_every_batching(TO_GEMINI_FROM_CHAT, context, STREAM))
    deltas = [chunk.choices[0].delta for chunk in chunks if chunk.choices]
    assert "".join(delta.content or "" for delta in deltas) == "Checking both."
    reasoning = [(delta.model_extra or {}).get("reasoning_content") or "" for delta in deltas]
    assert "".join(reasoning) == "Two cities: two calls."
    calls = [call for delta in deltas for call in delta.tool_calls or []]
    assert [call.id for call in calls if call.id] == ["call_get_weather_0", "call_get_weather_1"]
    assert [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices][-1] == "tool_calls"


def test_a_gemini_stream_for_a_claude_caller() -> None:
    body = {"model": "g", "max_tokens": 99, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    context = TO_GEMINI_FROM_CLAUDE.request(dumps(body)).context
    events = anthropic_stream(run_every_batching(TO_GEMINI_FROM_CLAUDE, context, STREAM))
    starts = [event.content_block.type for event in events if event.type == "content_block_start"]
    assert starts == ["thinking", "text", "thinking", "tool_use", "tool_use"]
    signatures = [
        event.delta.signature
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "signature_delta"
    ]
    assert signatures == [SIGNATURE]
    assert events[0].type == "message_start" and events[0].message.usage.input_tokens == 40


@pytest.mark.parametrize(
    ("status", "gemini_status", "openai_type", "anthropic_type"),
    [
        (400, "INVALID_ARGUMENT", "BadRequestError", "BadRequestError"),
        (429, "RESOURCE_EXHAUSTED", "RateLimitError", "RateLimitError"),
        (503, "UNAVAILABLE", "InternalServerError", "InternalServerError"),
    ],
)
def test_gemini_errors_reach_each_caller_in_its_own_words(
    status: int, gemini_status: str, openai_type: str, anthropic_type: str
) -> None:
    error = dumps({"error": {"code": status, "message": "Gemini says no.", "status": gemini_status}})
    chat = Gateway(TO_GEMINI_FROM_CHAT, lambda _: Reply(status=status, body=error)).openai()
    with pytest.raises(getattr(openai, openai_type)) as raised:
        chat.chat.completions.create(model="g", messages=[{"role": "user", "content": "hi"}])
    assert "Gemini says no." in str(raised.value)
    claude = Gateway(TO_GEMINI_FROM_CLAUDE, lambda _: Reply(status=status, body=error)).anthropic()
    with pytest.raises(getattr(anthropic, anthropic_type)) as caught:
        claude.messages.create(model="g", max_tokens=9, messages=[{"role": "user", "content": "hi"}])
    assert "Gemini says no." in str(caught.value)


def test_an_image_url_is_refused_in_the_callers_words() -> None:
    chat = Gateway(TO_GEMINI_FROM_CHAT, lambda _: Reply(body=dumps(CALLS))).openai()
    image: Any = {"type": "image_url", "image_url": {"url": "https://example.test/cat.png"}}
    with pytest.raises(openai.BadRequestError) as raised:
        chat.chat.completions.create(model="g", messages=[{"role": "user", "content": [image]}])
    assert "fetch" in str(raised.value)


FROM_GEMINI_TO_CLAUDE = Pair("gemini-generate", "anthropic-messages")
FROM_GEMINI_TO_CHAT = Pair("gemini-generate", "openai-chat")
GEMINI_ASKS: Json = {
    "contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}],
    "tools": [{"functionDeclarations": [{"name": "get_weather", "parametersJsonSchema": WEATHER}]}],
    "generationConfig": {
        "maxOutputTokens": 4000,
        "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": True},
    },
}
CLAUDE_SIGNATURE = "EqQBCkgIARABGAIiQL+/Jb0n1x9u0w=="
CLAUDE_STREAM = anthropic_events(
    {
        "type": "message_start",
        "message": {
            "id": "msg_01G",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 30, "output_tokens": 1},
        },
    },
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    },
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "One call."}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": CLAUDE_SIGNATURE},
    },
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"city": '},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '"Paris"}'},
    },
    {"type": "content_block_stop", "index": 1},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 20},
    },
    {"type": "message_stop"},
)


def test_a_claude_stream_for_a_gemini_caller() -> None:
    hints = ir.Hints(model="claude-sonnet-4-5", stream=True)
    translated = FROM_GEMINI_TO_CLAUDE.request(dumps(GEMINI_ASKS), hints=hints)
    asked = json.loads(translated.body)
    assert (translated.path, asked["thinking"]) == (
        "/v1/messages",
        {"type": "enabled", "budget_tokens": 2048},
    )
    out = run_every_batching(FROM_GEMINI_TO_CLAUDE, translated.context, CLAUDE_STREAM)
    chunks = [json.loads(item.data) for item in out]
    assert all(item.event == "" for item in out)
    parts = [part for chunk in chunks for part in chunk["candidates"][0].get("content", {}).get("parts", [])]
    assert parts[0] == {"text": "One call.", "thought": True}
    assert (
        parts[1]["thought"]
        and parts[1]["text"] == ""
        and unseal(parts[1]["thoughtSignature"]) == CLAUDE_SIGNATURE
    )
    assert parts[2] == {"functionCall": {"id": "toolu_01", "name": "get_weather", "args": {"city": "Paris"}}}
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == 20

    turn = [*GEMINI_ASKS["contents"], {"role": "model", "parts": parts}]
    turn.append(
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 20}}}]}
    )
    again = json.loads(
        FROM_GEMINI_TO_CLAUDE.request(dumps({**GEMINI_ASKS, "contents": turn}), hints=hints).body
    )
    assert again["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "One call.",
        "signature": CLAUDE_SIGNATURE,
    }
    assert again["messages"][2]["content"][0]["tool_use_id"] == "toolu_01"


def test_a_chat_answer_for_a_gemini_caller() -> None:
    translated = FROM_GEMINI_TO_CHAT.request(dumps(GEMINI_ASKS), hints=ir.Hints(model="gpt-5"))
    asked = json.loads(translated.body)
    assert asked["model"] == "gpt-5" and asked["reasoning_effort"] == "low"
    answer = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    body = json.loads(FROM_GEMINI_TO_CHAT.response(translated.context, dumps(answer)))
    assert body["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"id": "call_9", "name": "get_weather", "args": {"city": "Paris"}}}
    ]
    assert body["usageMetadata"] == {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}
    status, error = FROM_GEMINI_TO_CHAT.error(
        translated.context, 429, dumps({"error": {"message": "slow", "type": "requests"}})
    )
    assert (status, json.loads(error)["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")
