"""Anthropic messages requests → OpenAI chat completion requests."""

import json

import pytest

from tests.translate.support import Json, Pair, context_of, dumps

PAIR = Pair("anthropic-messages", "openai-chat")
MODEL = "gpt-4o"
HI: Json = {"role": "user", "content": "Hi"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
SCHEMA: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER_TOOL: Json = {"name": "get_weather", "description": "Weather for a city", "input_schema": SCHEMA}
OPENAI_WEATHER_TOOL: Json = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city", "parameters": SCHEMA},
}


def translate(body: Json) -> Json:
    result: Json = json.loads(PAIR.request(dumps({"model": MODEL, "max_tokens": 1024, **body})).body)
    return result


def base(*messages: Json, **fields: object) -> Json:
    return {"model": MODEL, "messages": list(messages), "max_tokens": 1024, **fields}


def text(value: str) -> Json:
    return {"type": "text", "text": value}


def tool_use(tool_id: str, name: str, tool_input: Json) -> Json:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def call(call_id: str, name: str, arguments: str) -> Json:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


USER_HI: Json = {"role": "user", "content": "Hi"}

CASES: dict[str, tuple[Json, Json]] = {
    "minimal": ({"messages": [HI]}, base(USER_HI)),
    "system_string": (
        {"system": "Be brief.", "messages": [HI]},
        base({"role": "system", "content": "Be brief."}, USER_HI),
    ),
    "system_blocks_join": (
        {
            "system": [
                text("Be brief."),
                {"type": "text", "text": "Use metric.", "cache_control": {"type": "ephemeral"}},
            ],
            "messages": [HI],
        },
        base({"role": "system", "content": "Be brief.\n\nUse metric."}, USER_HI),
    ),
    "text_blocks_and_images": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        text("What is in these?"),
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                    ],
                }
            ]
        },
        base(
            {
                "role": "user",
                "content": [
                    text("What is in these?"),
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                ],
            }
        ),
    ),
    "single_text_block_becomes_a_string": (
        {"messages": [{"role": "user", "content": [text("Hi")]}]},
        base(USER_HI),
    ),
    "tool_use_and_results": (
        {
            "tools": [WEATHER_TOOL],
            "messages": [
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "Two calls.", "signature": "sig"},
                        text("Checking."),
                        tool_use("toolu_1", "get_weather", {"city": "Paris"}),
                        tool_use("toolu_2", "get_weather", {"city": "Rome"}),
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        text("Here you go:"),
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_2",
                            "content": [text("21C"), text("sunny")],
                            "is_error": False,
                        },
                    ],
                },
            ],
        },
        base(
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    call("toolu_1", "get_weather", '{"city":"Paris"}'),
                    call("toolu_2", "get_weather", '{"city":"Rome"}'),
                ],
            },
            {"role": "tool", "content": "18C", "tool_call_id": "toolu_1"},
            {"role": "tool", "content": "21C\nsunny", "tool_call_id": "toolu_2"},
            {"role": "user", "content": "Here you go:"},
            tools=[OPENAI_WEATHER_TOOL],
        ),
    ),
    "tool_errors_and_empty_results": (
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": [tool_use("toolu_1", "f", {}), tool_use("toolu_2", "f", {})],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": "No such city",
                            "is_error": True,
                        },
                        {"type": "tool_result", "tool_use_id": "toolu_2"},
                    ],
                },
            ]
        },
        base(
            {"role": "assistant", "tool_calls": [call("toolu_1", "f", "{}"), call("toolu_2", "f", "{}")]},
            {"role": "tool", "content": "Error: No such city", "tool_call_id": "toolu_1"},
            {"role": "tool", "content": "", "tool_call_id": "toolu_2"},
        ),
    ),
    "assistant_string_and_thinking_only_turns": (
        {
            "messages": [
                HI,
                {"role": "assistant", "content": "Hello!"},
                {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "x"}]},
            ]
        },
        base(USER_HI, {"role": "assistant", "content": "Hello!"}),
    ),
    "tools_and_choices": (
        {
            "messages": [HI],
            "tools": [WEATHER_TOOL, {"name": "now", "input_schema": {"type": "object"}, "type": "custom"}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        },
        base(
            USER_HI,
            tools=[
                OPENAI_WEATHER_TOOL,
                {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}},
            ],
            tool_choice="required",
            parallel_tool_calls=False,
        ),
    ),
    "auto_choice": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "tool_choice": {"type": "auto"}},
        base(USER_HI, tools=[OPENAI_WEATHER_TOOL], tool_choice="auto"),
    ),
    "named_tool_choice": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "tool_choice": {"type": "tool", "name": "get_weather"}},
        base(
            USER_HI,
            tools=[OPENAI_WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        ),
    ),
    "none_choice": (
        {"messages": [HI], "tools": [WEATHER_TOOL], "tool_choice": {"type": "none"}},
        base(USER_HI, tools=[OPENAI_WEATHER_TOOL], tool_choice="none"),
    ),
    "sampling_stop_metadata": (
        {
            "messages": [HI],
            "temperature": 0,
            "top_p": 0.9,
            "stop_sequences": ["END"],
            "metadata": {"user_id": "u-1"},
        },
        base(USER_HI, temperature=0, top_p=0.9, stop=["END"], user="u-1"),
    ),
    "stream_asks_for_usage": (
        {"messages": [HI], "stream": True},
        base(USER_HI, stream=True, stream_options={"include_usage": True}),
    ),
    "thinking_budget_is_a_reasoning_effort": (
        {"messages": [HI], "thinking": {"type": "enabled", "budget_tokens": 8192}},
        base(USER_HI, reasoning_effort="medium"),
    ),
    "small_thinking_budget_is_low_effort": (
        {"messages": [HI], "thinking": {"type": "enabled", "budget_tokens": 1024}},
        base(USER_HI, reasoning_effort="low"),
    ),
    "large_thinking_budget_is_high_effort": (
        {"messages": [HI], "thinking": {"type": "enabled", "budget_tokens": 20000}},
        base(USER_HI, reasoning_effort="high"),
    ),
    "harmless_fields_are_ignored": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}],
                }
            ],
            "service_tier": "auto",
            "thinking": {"type": "disabled"},
            "stream": False,
            "metadata": {},
        },
        base(USER_HI),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_request_translation(name: str) -> None:
    request, expected = CASES[name]
    assert translate(request) == expected


def test_translated_request_envelope() -> None:
    translated = PAIR.request(dumps({"model": MODEL, "max_tokens": 10, "messages": [HI], "stream": True}))
    assert translated.path == "/chat/completions"
    assert translated.headers == {}
    assert (translated.stream, translated.model) == (True, MODEL)
    assert context_of(translated).model == MODEL and context_of(translated).stream
