"""OpenAI requests that Anthropic cannot express: refused, naming the parameter, never dropped."""

import json

import pytest

from ingate_translate import TranslationError
from tests.translate.support import CREATED, Json, Pair, dumps
from tests.translate.test_openai_anthropic_request import HI, MODEL, WEATHER_TOOL, text, tool_call

PAIR = Pair("openai-chat", "anthropic-messages")


def bad_call(arguments: str) -> list[Json]:
    return [HI, {"role": "assistant", "tool_calls": [tool_call("c", "f", arguments)]}]


def parts(*items: Json) -> list[Json]:
    return [{"role": "user", "content": list(items)}]


REFUSED: dict[str, tuple[Json, str | None]] = {
    "n": ({"n": 2}, "n"),
    "logprobs": ({"logprobs": True}, "logprobs"),
    "top_logprobs": ({"top_logprobs": 3}, "top_logprobs"),
    "logit_bias": ({"logit_bias": {"50256": -100}}, "logit_bias"),
    "json_object": ({"response_format": {"type": "json_object"}}, "response_format"),
    "json_schema": (
        {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
        "response_format",
    ),
    "audio": ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
    "audio_modality": ({"modalities": ["text", "audio"]}, "modalities"),
    "presence_penalty": ({"presence_penalty": 0.5}, "presence_penalty"),
    "frequency_penalty": ({"frequency_penalty": -0.5}, "frequency_penalty"),
    "temperature_above_one": ({"temperature": 1.5}, "temperature"),
    "unknown_reasoning_effort": ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    "prediction": ({"prediction": {"type": "content", "content": "x"}}, "prediction"),
    "web_search_options": ({"web_search_options": {}}, "web_search_options"),
    "functions": ({"functions": [{"name": "f"}]}, "functions"),
    "function_call": ({"function_call": "auto"}, "function_call"),
    "custom_tool": ({"tools": [WEATHER_TOOL, {"type": "custom", "custom": {"name": "x"}}]}, "tools[1]"),
    "allowed_tools_choice": (
        {"tools": [WEATHER_TOOL], "tool_choice": {"type": "allowed_tools", "allowed_tools": {}}},
        "tool_choice",
    ),
    "input_audio_part": (
        {
            "messages": parts(
                text("Hi"), {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}
            )
        },
        "messages[0].content[1]",
    ),
    "file_part": (
        {"messages": parts({"type": "file", "file": {"file_id": "file-1"}})},
        "messages[0].content[0]",
    ),
    "unknown_part": ({"messages": parts({"type": "video", "video": {}})}, "messages[0].content[0].type"),
    "unparsable_arguments": (
        {"messages": bad_call('{"city": ')},
        "messages[1].tool_calls[0].function.arguments",
    ),
    "non_object_arguments": (
        {"messages": bad_call("[1, 2]")},
        "messages[1].tool_calls[0].function.arguments",
    ),
    "function_role": ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
    "unknown_role": ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    "image_scheme": (
        {"messages": parts({"type": "image_url", "image_url": {"url": "ftp://x/cat.png"}})},
        "messages[0].content[0].image_url",
    ),
    "image_not_base64": (
        {"messages": parts({"type": "image_url", "image_url": {"url": "data:image/png,abc"}})},
        "messages[0].content[0].image_url",
    ),
    "image_type": (
        {
            "messages": parts(
                {"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}}
            )
        },
        "messages[0].content[0].image_url",
    ),
    "wrong_type": ({"max_tokens": "many"}, "max_tokens"),
    "missing_messages": ({"messages": None}, "messages"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_inexpressible_requests_are_refused_naming_the_parameter(name: str) -> None:
    fields, param = REFUSED[name]
    with pytest.raises(TranslationError) as raised:
        PAIR.request(dumps({"model": MODEL, "messages": [HI], **fields}), created=CREATED)
    assert raised.value.param == param
    assert raised.value.message
    status, body = PAIR.reject(raised.value)
    assert status == 400
    assert json.loads(body) == {
        "error": {
            "message": raised.value.message,
            "type": "invalid_request_error",
            "param": param,
            "code": None,
        }
    }


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"model": "m"}'])
def test_unreadable_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(TranslationError) as raised:
        PAIR.request(body, created=CREATED)
    assert raised.value.param is None
