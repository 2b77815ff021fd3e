"""Anthropic requests that Chat Completions cannot express: refused, naming the parameter."""

import json

import pytest

from ingate_translate import TranslationError
from tests.translate.support import Json, Pair, dumps
from tests.translate.test_anthropic_openai_request import HI, MODEL, WEATHER_TOOL, text, tool_use

PAIR = Pair("anthropic-messages", "openai-chat")


def blocks(*items: Json) -> list[Json]:
    return [{"role": "user", "content": list(items)}]


REFUSED: dict[str, tuple[Json, str | None]] = {
    "top_k": ({"top_k": 40}, "top_k"),
    "mcp_servers": ({"mcp_servers": [{"type": "url", "url": "https://x", "name": "x"}]}, "mcp_servers"),
    "server_tool": (
        {"tools": [WEATHER_TOOL, {"type": "web_search_20250305", "name": "web_search"}]},
        "tools[1]",
    ),
    "document": (
        {
            "messages": blocks(
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}
            )
        },
        "messages[0].content[0]",
    ),
    "search_result": (
        {"messages": blocks(text("a"), {"type": "search_result", "source": "s"})},
        "messages[0].content[1]",
    ),
    "image_in_tool_result": (
        {
            "messages": blocks(
                {
                    "type": "tool_result",
                    "tool_use_id": "t",
                    "content": [
                        {"type": "image", "source": {"type": "url", "url": "https://example.com/x.png"}}
                    ],
                }
            )
        },
        "messages[0].content[0].content[0]",
    ),
    "image_file_source": (
        {"messages": blocks({"type": "image", "source": {"type": "file", "file_id": "file_1"}})},
        "messages[0].content[0].source",
    ),
    "tool_use_in_user_turn": ({"messages": blocks(tool_use("t", "f", {}))}, "messages[0].content[0]"),
    "tool_result_in_assistant_turn": (
        {"messages": [HI, {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t"}]}]},
        "messages[1].content[0]",
    ),
    "unknown_block": (
        {"messages": blocks({"type": "container_upload", "file_id": "f"})},
        "messages[0].content[0].type",
    ),
    "bad_role": ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_inexpressible_requests_are_refused_naming_the_parameter(name: str) -> None:
    fields, param = REFUSED[name]
    with pytest.raises(TranslationError) as raised:
        PAIR.request(dumps({"model": MODEL, "max_tokens": 10, "messages": [HI], **fields}))
    assert raised.value.param == param
    status, body = PAIR.reject(raised.value)
    assert status == 400
    assert json.loads(body) == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": f"{param}: {raised.value.message}"},
    }


def test_reject_without_a_parameter() -> None:
    status, body = PAIR.reject(TranslationError("The request body is not valid JSON."))
    assert (status, json.loads(body)["error"]["message"]) == (400, "The request body is not valid JSON.")
