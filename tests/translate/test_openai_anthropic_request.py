"""OpenAI chat completion requests → Anthropic messages requests."""

import json

import pytest

from ingate_translate import DEFAULT_MAX_TOKENS, ir
from tests.translate.support import CREATED, Json, Pair, context_of, dumps

PAIR = Pair("openai-chat", "anthropic-messages")
MODEL = "claude-sonnet-4-5"
HI: Json = {"role": "user", "content": "Hi"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
WEATHER_TOOL: Json = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ANTHROPIC_WEATHER_TOOL: Json = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": WEATHER_TOOL["function"]["parameters"],
}


def translate(body: Json) -> Json:
    result: Json = json.loads(PAIR.request(dumps({"model": MODEL, **body}), created=CREATED).body)
    return result


def text(value: str) -> Json:
    return {"type": "text", "text": value}


def user(*blocks: Json) -> Json:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: Json) -> Json:
    return {"role": "assistant", "content": list(blocks)}


def tool_call(call_id: str, name: str, arguments: str) -> Json:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def base(*messages: Json, **fields: object) -> Json:
    return {"model": MODEL, "messages": list(messages), "max_tokens": DEFAULT_MAX_TOKENS, **fields}


TOOL_TURNS = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            tool_call("call_1", "get_weather", '{"city": "Paris"}'),
            tool_call("call_2", "get_weather", '{"city":"Rome"}'),
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]},
    {"role": "user", "content": "And tomorrow?"},
]

# A tool message of one text part is sent as a string, as a plain one is: the same content.
CASES: dict[str, tuple[Json, Json]] = {
    "minimal": ({"messages": [HI]}, base(user(text("Hi")))),
    "system_and_developer_anywhere_keep_order": (
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                HI,
                {"role": "developer", "content": [{"type": "text", "text": "Use metric."}]},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Weather?"},
            ]
        },
        base(
            user(text("Hi")),
            assistant(text("Hello!")),
            user(text("Weather?")),
            system=[text("Be brief."), text("Use metric.")],
        ),
    ),
    "cache_control_on_parts_is_a_cache_breakpoint": (
        {
            "messages": [
                {
                    "role": "system",
                    "content": [
                        {"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}},
                        {"type": "text", "text": "Short."},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
                    ],
                },
            ]
        },
        base(
            user({**text("Hi"), "cache_control": {"type": "ephemeral", "ttl": "1h"}}),
            system=[{**text("Long rules."), "cache_control": {"type": "ephemeral"}}, text("Short.")],
        ),
    ),
    "one_system_message_is_a_string": (
        {"messages": [{"role": "system", "content": "Be brief."}, HI]},
        base(user(text("Hi")), system="Be brief."),
    ),
    "content_parts_and_images": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in these?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"},
                        },
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                        {"type": "image_url", "image_url": {"url": "data:image/jpg;base64,/9j/4AAQ"}},
                    ],
                }
            ]
        },
        base(
            user(
                text("What is in these?"),
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
                },
            )
        ),
    ),
    "tool_calls_and_results": (
        {"messages": TOOL_TURNS, "tools": [WEATHER_TOOL]},
        base(
            user(text("Weather in Paris and Rome?")),
            assistant(
                text("Checking."),
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
            ),
            user(
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "21C"},
                text("And tomorrow?"),
            ),
            tools=[ANTHROPIC_WEATHER_TOOL],
        ),
    ),
    "tool_results_lead_their_turn": (
        {"messages": [*TOOL_TURNS[:2], {"role": "user", "content": "(waiting)"}, *TOOL_TURNS[2:4]]},
        base(
            user(text("Weather in Paris and Rome?")),
            translate({"messages": TOOL_TURNS})["messages"][1],
            user(
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "21C"},
                text("(waiting)"),
            ),
        ),
    ),
    "tool_calls_without_text_and_empty_arguments": (
        {
            "messages": [
                HI,
                {"role": "assistant", "content": "", "tool_calls": [tool_call("c", "now", "")]},
                {"role": "tool", "tool_call_id": "c", "content": ""},
            ]
        },
        base(
            user(text("Hi")),
            assistant({"type": "tool_use", "id": "c", "name": "now", "input": {}}),
            user({"type": "tool_result", "tool_use_id": "c"}),
        ),
    ),
    "consecutive_same_role_turns_merge_and_empty_text_is_left_out": (
        {
            "messages": [
                HI,
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "there"}, {"type": "text", "text": ""}],
                },
                {"role": "assistant", "content": None, "refusal": "I can't."},
                {"role": "user", "content": ""},
            ]
        },
        base(user(text("Hi"), text("there")), assistant(text("I can't."))),
    ),
    "tools_and_auto_choice": (
        {
            "messages": [HI],
            "tools": [WEATHER_TOOL, {"type": "function", "function": {"name": "now"}}],
            "tool_choice": "auto",
        },
        base(
            user(text("Hi")),
            tools=[
                ANTHROPIC_WEATHER_TOOL,
                {"name": "now", "input_schema": {"type": "object", "properties": {}}},
            ],
            tool_choice={"type": "auto"},
        ),
    ),
    "required_choice_without_parallel_calls": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "tool_choice": "required", "parallel_tool_calls": False},
        base(
            user(text("Hi")),
            tools=[ANTHROPIC_WEATHER_TOOL],
            tool_choice={"type": "any", "disable_parallel_tool_use": True},
        ),
    ),
    "named_function_choice": (
        {
            "messages": [HI],
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        base(
            user(text("Hi")),
            tools=[ANTHROPIC_WEATHER_TOOL],
            tool_choice={"type": "tool", "name": "get_weather"},
        ),
    ),
    "none_choice": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "tool_choice": "none", "parallel_tool_calls": False},
        base(user(text("Hi")), tools=[ANTHROPIC_WEATHER_TOOL], tool_choice={"type": "none"}),
    ),
    "no_parallel_calls_alone": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "parallel_tool_calls": False},
        base(
            user(text("Hi")),
            tools=[ANTHROPIC_WEATHER_TOOL],
            tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        ),
    ),
    "tool_choice_without_tools_is_moot": ({"messages": [HI], "tool_choice": "none"}, base(user(text("Hi")))),
    "sampling_stop_and_user": (
        {
            "messages": [HI],
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "user": "user-42",
            "max_tokens": 300,
        },
        base(
            user(text("Hi")),
            max_tokens=300,
            temperature=0.5,
            top_p=0.9,
            stop_sequences=["END"],
            metadata={"user_id": "user-42"},
        ),
    ),
    "zero_temperature_and_stop_list": (
        {
            "messages": [HI],
            "temperature": 0,
            "stop": ["a", "b"],
            "max_completion_tokens": 50,
            "max_tokens": 300,
        },
        base(user(text("Hi")), max_tokens=50, temperature=0, stop_sequences=["a", "b"]),
    ),
    "stream": (
        {
            "messages": [HI],
            "stream": True,
            "stream_options": {"include_usage": True, "include_obfuscation": False},
        },
        base(user(text("Hi")), stream=True),
    ),
    "reasoning_effort_is_a_thinking_budget_above_max_tokens": (
        {"messages": [HI], "reasoning_effort": "low"},
        base(
            user(text("Hi")),
            max_tokens=2048 + DEFAULT_MAX_TOKENS,
            thinking={"type": "enabled", "budget_tokens": 2048},
        ),
    ),
    "reasoning_effort_within_max_tokens": (
        {"messages": [HI], "reasoning_effort": "high", "max_completion_tokens": 10000},
        base(user(text("Hi")), max_tokens=10000, thinking={"type": "enabled", "budget_tokens": 9999}),
    ),
    "reasoning_effort_none_is_no_thinking": (
        {"messages": [HI], "reasoning_effort": "none"},
        base(user(text("Hi"))),
    ),
    "thinking_blocks_go_back_with_their_signatures": (
        {
            "messages": [
                HI,
                {
                    "role": "assistant",
                    "content": "Checking.",
                    "reasoning_content": "Use the tool.",
                    "thinking_blocks": [
                        {"type": "thinking", "thinking": "Use the tool.", "signature": "EqQBCgIYAh"},
                        {"type": "redacted_thinking", "data": "EmwKAhgB"},
                    ],
                    "tool_calls": [tool_call("call_1", "get_weather", '{"city":"Paris"}')],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            ],
            "tools": [WEATHER_TOOL],
        },
        base(
            user(text("Hi")),
            assistant(
                {"type": "thinking", "thinking": "Use the tool.", "signature": "EqQBCgIYAh"},
                {"type": "redacted_thinking", "data": "EmwKAhgB"},
                text("Checking."),
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            ),
            user({"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}),
            tools=[ANTHROPIC_WEATHER_TOOL],
        ),
    ),
    "reasoning_without_a_signature_is_left_out": (
        {"messages": [HI, {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet."}, HI]},
        base(user(text("Hi")), assistant(text("Hello!")), user(text("Hi"))),
    ),
    "harmless_fields_are_ignored": (
        {
            "messages": [{"role": "user", "content": "Hi", "name": "ann"}],
            "seed": 7,
            "store": True,
            "metadata": {"k": "v"},
            "service_tier": "auto",
            "n": 1,
            "logprobs": False,
            "top_logprobs": 0,
            "logit_bias": {},
            "presence_penalty": 0,
            "frequency_penalty": 0.0,
            "response_format": {"type": "text"},
            "modalities": ["text"],
            "audio": None,
            "prompt_cache_key": "x",
            "safety_identifier": "y",
            "stream": False,
        },
        base(user(text("Hi"))),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_request_translation(name: str) -> None:
    request, expected = CASES[name]
    assert translate(request) == expected


def test_translated_request_envelope() -> None:
    body = {"model": MODEL, "messages": [HI], "stream": True, "stream_options": {"include_usage": True}}
    translated = PAIR.request(dumps(body), created=CREATED)
    assert translated.path == "/v1/messages"
    assert translated.headers == {"anthropic-version": "2023-06-01"}
    assert (translated.stream, translated.model) == (True, MODEL)
    context = context_of(translated)
    assert context == ir.Context(model=MODEL, created=CREATED, stream=True, include_usage=True)
    plain = PAIR.request(dumps({"model": MODEL, "messages": [HI]}), created=CREATED)
    assert not plain.stream and not context_of(plain).include_usage


def test_created_defaults_to_the_clock() -> None:
    context = context_of(PAIR.request(dumps({"model": MODEL, "messages": [HI]})))
    assert context.created > CREATED
