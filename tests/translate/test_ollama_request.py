"""Ollama /api/chat and /api/generate requests read into the IR: what each field becomes."""

import base64
from typing import Any

import pytest

from ingate_translate import ir
from ingate_translate.shapes.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from tests.translate.support import Json, dumps

MODEL = "gpt-4o"
HI: Json = {"role": "user", "content": "Hi"}
PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d49484452")).decode()
JPEG = base64.b64encode(bytes.fromhex("ffd8ffe000104a464946")).decode()
GIF = base64.b64encode(b"GIF89a\x01\x00\x01\x00").decode()
WEBP = base64.b64encode(b"RIFF\x24\x00\x00\x00WEBPVP8 ").decode()
WEATHER: Json = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def chat(**fields: Any) -> ir.Request:
    body: Json = {"model": MODEL, "messages": [HI], **fields}
    return OLLAMA_CHAT.read_request(dumps(body), ir.Hints())


def generate(**fields: Any) -> ir.Request:
    body: Json = {"model": MODEL, "prompt": "Why is the sky blue?", **fields}
    return OLLAMA_GENERATE.read_request(dumps(body), ir.Hints())


def call(name: str, arguments: Json) -> Json:
    return {"function": {"name": name, "arguments": arguments}}


def test_a_plain_chat() -> None:
    request = chat()
    assert request == ir.Request(
        model=MODEL,
        messages=[ir.Message(role="user", parts=[ir.Text(text="Hi")])],
        stream=True,  # Ollama streams unless told not to
        include_usage=True,  # its final line always counts
    )


def test_stream_false_is_not_streamed() -> None:
    request = chat(stream=False)
    assert (request.stream, request.include_usage) == (False, False)


FIELDS: dict[str, tuple[Json, dict[str, Any]]] = {
    "temperature": ({"options": {"temperature": 0.2}}, {"temperature": 0.2}),
    "top_p and top_k": ({"options": {"top_p": 0.9, "top_k": 40}}, {"top_p": 0.9, "top_k": 40}),
    "num_predict": ({"options": {"num_predict": 128}}, {"max_tokens": 128}),
    "num_predict -1: no limit": ({"options": {"num_predict": -1}}, {"max_tokens": None}),
    "num_predict -2: fill the context": ({"options": {"num_predict": -2}}, {"max_tokens": None}),
    "stop": ({"options": {"stop": ["\n\n", "END"]}}, {"stop": ["\n\n", "END"]}),
    "seed": ({"options": {"seed": 42}}, {"seed": 42}),
    "penalties": (
        {"options": {"presence_penalty": 0.5, "frequency_penalty": -0.5}},
        {"presence_penalty": 0.5, "frequency_penalty": -0.5},
    ),
    "runtime options ignored": (
        {"options": {"num_ctx": 8192, "num_gpu": 1, "num_thread": 8, "use_mmap": True, "num_keep": 4}},
        {},
    ),
    "keep_alive ignored": ({"keep_alive": "10m"}, {}),
    "format json": ({"format": "json"}, {"response_format": ir.ResponseFormat(kind="json_object")}),
    "format schema": (
        {"format": {"type": "object", "properties": {"a": {"type": "integer"}}}},
        {
            "response_format": ir.ResponseFormat(
                kind="json_schema",
                name="response",
                schema={"type": "object", "properties": {"a": {"type": "integer"}}},
            )
        },
    ),
    "format empty": ({"format": ""}, {"response_format": None}),
    "think true": ({"think": True}, {"reasoning": ir.Reasoning(effort="medium")}),
    "think false": ({"think": False}, {"reasoning": ir.Reasoning(enabled=False)}),
    "think low": ({"think": "low"}, {"reasoning": ir.Reasoning(effort="low")}),
    "think high": ({"think": "high"}, {"reasoning": ir.Reasoning(effort="high")}),
    "tools": (
        {"tools": [WEATHER, {"function": {"name": "now"}}]},
        {
            "tools": [
                ir.Tool(
                    name="get_weather",
                    description="Weather for a city",
                    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
                ),
                ir.Tool(name="now"),
            ]
        },
    ),
}


@pytest.mark.parametrize(("fields", "expected"), FIELDS.values(), ids=FIELDS.keys())
def test_chat_fields(fields: Json, expected: dict[str, Any]) -> None:
    request = chat(**fields)
    for name, value in expected.items():
        assert getattr(request, name) == value, name
    untouched = ir.Request(model=MODEL)
    for name in ("temperature", "max_tokens", "seed", "response_format", "reasoning", "top_k"):
        if name not in expected:
            assert getattr(request, name) == getattr(untouched, name), name


GENERATE_FIELDS = {name: case for name, case in FIELDS.items() if "tools" not in case[0]}


@pytest.mark.parametrize(("fields", "expected"), GENERATE_FIELDS.values(), ids=GENERATE_FIELDS.keys())
def test_generate_fields(fields: Json, expected: dict[str, Any]) -> None:
    request = generate(**fields)
    for name, value in expected.items():
        assert getattr(request, name) == value, name


def test_system_messages_lead_the_conversation() -> None:
    request = chat(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "system", "content": "Be kind."}, HI]
    )
    assert request.system == [ir.Text(text="Be brief."), ir.Text(text="Be kind.")]
    assert [m.role for m in request.messages] == ["user"]


def test_images_come_before_the_text_with_their_media_type() -> None:
    request = chat(messages=[{"role": "user", "content": "What is this?", "images": [PNG, JPEG, GIF, WEBP]}])
    assert request.messages[0].parts == [
        ir.Image(media_type="image/png", data=PNG),
        ir.Image(media_type="image/jpeg", data=JPEG),
        ir.Image(media_type="image/gif", data=GIF),
        ir.Image(media_type="image/webp", data=WEBP),
        ir.Text(text="What is this?"),
    ]


def test_a_tool_turn_gets_ids_that_tie_calls_to_results() -> None:
    request = chat(
        messages=[
            HI,
            {
                "role": "assistant",
                "content": "",
                "thinking": "Two cities.",
                "tool_calls": [call("get_weather", {"city": "Paris"}), call("get_time", {"zone": "CET"})],
            },
            # Answered out of order: tool_name says which call each result is for.
            {"role": "tool", "tool_name": "get_time", "content": "12:00"},
            {"role": "tool", "tool_name": "get_weather", "content": "sunny"},
            {
                "role": "assistant",
                "content": "Sunny at noon.",
                "tool_calls": [call("get_weather", {"city": "Rome"})],
            },
            {"role": "tool", "content": "rain"},  # no tool_name (older clients): the next open call
            {"role": "user", "content": "Thanks"},
        ],
        tools=[WEATHER],
    )
    assert request.messages == [
        ir.Message(role="user", parts=[ir.Text(text="Hi")]),
        ir.Message(
            role="assistant",
            parts=[
                ir.Thinking(text="Two cities."),  # no signature: Ollama has none
                ir.ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"}),
                ir.ToolCall(id="call_2", name="get_time", arguments={"zone": "CET"}),
            ],
        ),
        ir.Message(
            role="user",
            parts=[
                ir.ToolResult(call_id="call_2", name="get_time", content=[ir.Text(text="12:00")]),
                ir.ToolResult(call_id="call_1", name="get_weather", content=[ir.Text(text="sunny")]),
            ],
        ),
        ir.Message(
            role="assistant",
            parts=[
                ir.Text(text="Sunny at noon."),
                ir.ToolCall(id="call_3", name="get_weather", arguments={"city": "Rome"}),
            ],
        ),
        ir.Message(
            role="user",
            parts=[ir.ToolResult(call_id="call_3", name="get_weather", content=[ir.Text(text="rain")])],
        ),
        ir.Message(role="user", parts=[ir.Text(text="Thanks")]),
    ]


def test_the_same_conversation_reads_the_same_ids() -> None:
    messages = [HI, {"role": "assistant", "tool_calls": [call("f", {})]}, {"role": "tool", "content": "x"}]
    assert chat(messages=messages) == chat(messages=messages)


def test_generate_is_one_user_turn() -> None:
    request = generate(system="Be brief.", images=[PNG])
    assert request.system == [ir.Text(text="Be brief.")]
    assert request.messages == [
        ir.Message(
            role="user",
            parts=[ir.Image(media_type="image/png", data=PNG), ir.Text(text="Why is the sky blue?")],
        )
    ]
    assert (request.stream, request.include_usage) == (True, True)


def test_hints_change_nothing() -> None:
    body = dumps({"model": MODEL, "messages": [HI], "stream": False})
    assert OLLAMA_CHAT.read_request(body, ir.Hints(model="other", stream=True)).model == MODEL
    assert not OLLAMA_CHAT.read_request(body, ir.Hints(model="other", stream=True)).stream


def test_unknown_fields_are_ignored() -> None:
    assert chat(newer_field={"x": 1}) == chat()
