"""Ollama requests that cannot be translated, and malformed ones: refused, naming the parameter."""

from typing import Any

import pytest

from ingate_translate import TranslationError, ir
from ingate_translate.shapes.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from tests.translate.support import Json, dumps
from tests.translate.test_ollama_request import HI, MODEL, PNG, call

TEXT_FILE = "aGVsbG8gd29ybGQ="  # base64 of "hello world": not an image


CHAT_REFUSED: dict[str, tuple[Json, str]] = {
    "no messages (a model load)": ({"messages": []}, "messages"),
    "logprobs": ({"logprobs": True}, "logprobs"),
    "top_logprobs": ({"top_logprobs": 3}, "top_logprobs"),
    "repeat_penalty": ({"options": {"repeat_penalty": 1.1}}, "options.repeat_penalty"),
    "mirostat": ({"options": {"mirostat": 2}}, "options.mirostat"),
    "min_p": ({"options": {"min_p": 0.05}}, "options.min_p"),
    "an option of the wrong type": ({"options": {"temperature": "hot"}}, "options.temperature"),
    "think of no level": ({"think": "max"}, "think"),
    "format of no kind": ({"format": "yaml"}, "format"),
    "a late system message": (
        {"messages": [HI, {"role": "system", "content": "Now be rude."}]},
        "messages[1].role",
    ),
    "an unknown role": ({"messages": [{"role": "narrator", "content": "x"}]}, "messages[0].role"),
    "an image that is no image": (
        {"messages": [{"role": "user", "content": "x", "images": [PNG, TEXT_FILE]}]},
        "messages[0].images[1]",
    ),
    "an image that is not base64": (
        {"messages": [{"role": "user", "content": "x", "images": ["not base64!"]}]},
        "messages[0].images[0]",
    ),
    "an assistant image": (
        {"messages": [HI, {"role": "assistant", "content": "x", "images": [PNG]}]},
        "messages[1].images",
    ),
    "a tool result without a call": ({"messages": [HI, {"role": "tool", "content": "x"}]}, "messages[1]"),
    "a tool result for a tool not called": (
        {
            "messages": [
                HI,
                {"role": "assistant", "tool_calls": [call("f", {})]},
                {"role": "tool", "tool_name": "g", "content": "x"},
            ]
        },
        "messages[2].tool_name",
    ),
    "a second result for one call": (
        {
            "messages": [
                HI,
                {"role": "assistant", "tool_calls": [call("f", {})]},
                {"role": "tool", "content": "x"},
                {"role": "tool", "content": "y"},
            ]
        },
        "messages[3]",
    ),
    "a tool of another type": (
        {"tools": [{"type": "retrieval", "function": {"name": "r"}}]},
        "tools[0].type",
    ),
    "messages not a list": ({"messages": {"role": "user"}}, "messages"),
    "a message without a role": ({"messages": [{"content": "x"}]}, "messages[0]"),
    "tool arguments not an object": (
        {
            "messages": [
                HI,
                {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
            ]
        },
        "messages[1].tool_calls[0].function.arguments",
    ),
}

GENERATE_REFUSED: dict[str, tuple[Json, str]] = {
    "empty prompt (a model load)": ({"prompt": ""}, "prompt"),
    "no prompt": ({"prompt": None}, "prompt"),
    "suffix": ({"suffix": "return x"}, "suffix"),
    "template": ({"template": "{{ .Prompt }}"}, "template"),
    "raw": ({"raw": True}, "raw"),
    "context": ({"context": [1, 2, 3]}, "context"),
    "image generation": ({"width": 512}, "width"),
    "logprobs": ({"logprobs": True}, "logprobs"),
    "an image that is no image": ({"images": [TEXT_FILE]}, "images[0]"),
    "an option without counterpart": ({"options": {"tfs_z": 1.0}}, "options.tfs_z"),
}


def refusal(codec: Any, body: Json) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        codec.read_request(dumps(body), ir.Hints())
    return caught.value


@pytest.mark.parametrize(("fields", "param"), CHAT_REFUSED.values(), ids=CHAT_REFUSED.keys())
def test_chat_refusals_name_the_parameter(fields: Json, param: str) -> None:
    error = refusal(OLLAMA_CHAT, {"model": MODEL, "messages": [HI], **fields})
    assert error.param == param
    assert error.message


@pytest.mark.parametrize(("fields", "param"), GENERATE_REFUSED.values(), ids=GENERATE_REFUSED.keys())
def test_generate_refusals_name_the_parameter(fields: Json, param: str) -> None:
    error = refusal(OLLAMA_GENERATE, {"model": MODEL, "prompt": "Hi", **fields})
    assert error.param == param


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'"hi"', b'{"messages": []}'], ids=repr)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    for codec in (OLLAMA_CHAT, OLLAMA_GENERATE):
        with pytest.raises(TranslationError):
            codec.read_request(body, ir.Hints())


def test_generate_falsy_refused_fields_are_fine() -> None:
    body = {"model": MODEL, "prompt": "Hi", "suffix": "", "template": "", "raw": False, "context": []}
    assert OLLAMA_GENERATE.read_request(dumps(body), ir.Hints()).messages
