"""Responses API requests: read into the IR (caller side), written from it (provider side),
refusals naming the parameter, and write-then-read round trips."""

import pytest

from ingate_translate import TranslationError, ir
from ingate_translate.shapes.openai_responses import REDACTED_MARKER, OpenAIResponses
from tests.translate.support import Json, dumps

CODEC = OpenAIResponses()
HINTS = ir.Hints()
PNG = "iVBORw0KGgo="
WEATHER: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def read(body: Json) -> ir.Request:
    return CODEC.read_request(dumps({"model": "m", **body}), HINTS)


def user(*parts: ir.Part) -> ir.Message:
    return ir.Message(role="user", parts=list(parts))


def assistant(*parts: ir.Part) -> ir.Message:
    return ir.Message(role="assistant", parts=list(parts))


READS: list[tuple[str, Json, ir.Request]] = [
    ("string input", {"input": "hi"}, ir.Request(model="m", messages=[user(ir.Text(text="hi"))])),
    (
        "instructions and system/developer messages become the system prompt, in order",
        {
            "instructions": "Be brief.",
            "input": [
                {"role": "developer", "content": "Use metric."},
                {
                    "type": "message",
                    "role": "system",
                    "content": [{"type": "input_text", "text": "No emoji."}],
                },
                {"role": "user", "content": "hi"},
            ],
        },
        ir.Request(
            model="m",
            system=[ir.Text(text="Be brief."), ir.Text(text="Use metric."), ir.Text(text="No emoji.")],
            messages=[user(ir.Text(text="hi"))],
        ),
    ),
    (
        "images by data URL and by http URL",
        {
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "What is this?"},
                        {
                            "type": "input_image",
                            "image_url": f"data:image/png;base64,{PNG}",
                            "detail": "auto",
                        },
                        {"type": "input_image", "image_url": "https://example.com/cat.jpg"},
                    ],
                }
            ]
        },
        ir.Request(
            model="m",
            messages=[
                user(
                    ir.Text(text="What is this?"),
                    ir.Image(media_type="image/png", data=PNG),
                    ir.Image(url="https://example.com/cat.jpg"),
                )
            ],
        ),
    ),
    (
        "a tool loop: reasoning, calls and outputs merge into alternating turns",
        {
            "input": [
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {
                    "type": "reasoning",
                    "id": "rs_1",
                    "summary": [
                        {"type": "summary_text", "text": "Two cities."},
                        {"type": "summary_text", "text": "Two calls."},
                    ],
                    "encrypted_content": "gAAAA-opaque",
                },
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "weather",
                    "arguments": '{"city":"Paris"}',
                },
                {"type": "function_call", "call_id": "call_2", "name": "weather", "arguments": ""},
                {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
                {
                    "type": "function_call_output",
                    "call_id": "call_2",
                    "output": [{"type": "input_text", "text": "21C"}],
                },
                {
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Paris 18C.", "annotations": []}],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "refusal", "refusal": "No more."}],
                },
            ]
        },
        ir.Request(
            model="m",
            messages=[
                user(ir.Text(text="Weather in Paris and Rome?")),
                assistant(
                    ir.Thinking(text="Two cities.\n\nTwo calls.", signature="gAAAA-opaque"),
                    ir.ToolCall(id="call_1", name="weather", arguments={"city": "Paris"}),
                    ir.ToolCall(id="call_2", name="weather", arguments={}),
                ),
                user(
                    ir.ToolResult(call_id="call_1", content=[ir.Text(text="18C")]),
                    ir.ToolResult(call_id="call_2", content=[ir.Text(text="21C")]),
                ),
                assistant(ir.Text(text="Paris 18C."), ir.Text(text="No more.")),
            ],
        ),
    ),
    (
        "the redacted-thinking marker comes back as the block it stood for",
        {
            "input": [
                {"role": "user", "content": "hi"},
                {
                    "type": "reasoning",
                    "id": "rs_2",
                    "summary": [],
                    "encrypted_content": REDACTED_MARKER + "EuYBCkQ==",
                },
                {"type": "reasoning", "id": "rs_3", "summary": [], "encrypted_content": "sig-only"},
            ]
        },
        ir.Request(
            model="m",
            messages=[
                user(ir.Text(text="hi")),
                assistant(ir.RedactedThinking(data="EuYBCkQ=="), ir.Thinking(signature="sig-only")),
            ],
        ),
    ),
    (
        "tools, tool_choice, sampling, format, reasoning, user",
        {
            "input": "hi",
            "tools": [
                {
                    "type": "function",
                    "name": "weather",
                    "description": "Weather",
                    "parameters": WEATHER,
                    "strict": True,
                },
                {"type": "function", "name": "noop"},
            ],
            "tool_choice": {"type": "function", "name": "weather"},
            "parallel_tool_calls": False,
            "max_output_tokens": 300,
            "temperature": 0.5,
            "top_p": 0.9,
            "stream": True,
            "reasoning": {"effort": "low", "summary": "auto"},
            "text": {"format": {"type": "json_schema", "name": "w", "schema": WEATHER, "strict": True}},
            "safety_identifier": "user-7",
            "store": False,
            "metadata": {"k": "v"},
            "include": ["reasoning.encrypted_content"],
            "truncation": "auto",
            "prompt_cache_key": "k",
            "service_tier": "auto",
        },
        ir.Request(
            model="m",
            messages=[user(ir.Text(text="hi"))],
            tools=[ir.Tool(name="weather", description="Weather", parameters=WEATHER), ir.Tool(name="noop")],
            tool_choice=ir.ToolChoice(mode="tool", name="weather", parallel=False),
            max_tokens=300,
            temperature=0.5,
            top_p=0.9,
            stream=True,
            reasoning=ir.Reasoning(effort="low"),
            response_format=ir.ResponseFormat(kind="json_schema", name="w", schema=WEATHER, strict=True),
            user="user-7",
        ),
    ),
    (
        "string tool_choice, json_object, effort none, legacy user",
        {
            "input": "hi",
            "tool_choice": "required",
            "text": {"format": {"type": "json_object"}},
            "reasoning": {"effort": "none"},
            "user": "u1",
        },
        ir.Request(
            model="m",
            messages=[user(ir.Text(text="hi"))],
            tool_choice=ir.ToolChoice(mode="required"),
            response_format=ir.ResponseFormat(kind="json_object"),
            reasoning=ir.Reasoning(enabled=False),
            user="u1",
        ),
    ),
    (
        "parallel_tool_calls alone, xhigh effort, text format text",
        {
            "input": "hi",
            "parallel_tool_calls": True,
            "reasoning": {"effort": "xhigh"},
            "text": {"format": {"type": "text"}},
        },
        ir.Request(
            model="m",
            messages=[user(ir.Text(text="hi"))],
            tool_choice=ir.ToolChoice(parallel=True),
            reasoning=ir.Reasoning(effort="high"),
        ),
    ),
]


@pytest.mark.parametrize(("body", "expected"), [(b, e) for _, b, e in READS], ids=[n for n, _, _ in READS])
def test_read_request(body: Json, expected: ir.Request) -> None:
    assert read(body) == expected


REFUSALS: list[tuple[Json, str]] = [
    ({"input": "hi", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"input": "hi", "conversation": "conv_1"}, "conversation"),
    ({"input": "hi", "prompt": {"id": "pmpt_1"}}, "prompt"),
    ({"input": "hi", "background": True}, "background"),
    ({"input": "hi", "max_tool_calls": 3}, "max_tool_calls"),
    ({"input": "hi", "top_logprobs": 2}, "top_logprobs"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
    ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, "input[0]"),
    (
        {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file_1"}]}]},
        "input[0].content[0]",
    ),
    (
        {
            "input": [
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": "a"}, {"type": "input_image", "file_id": "f"}],
                }
            ]
        },
        "input[0].content[1]",
    ),
    (
        {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "ftp://x/y.png"}]}]},
        "input[0].content[0]",
    ),
    ({"input": [{"role": "tool", "content": "x"}]}, "input[0].role"),
    ({"input": [{"type": "message", "content": "x"}]}, "input[0].role"),
    (
        {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]},
        "input[0].arguments",
    ),
    ({"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}, "input[0].call_id"),
    ({"input": [{"type": "function_call_output", "output": "x"}]}, "input[0].call_id"),
    ({"input": "hi", "tools": [{"type": "function", "name": "f"}, {"type": "web_search"}]}, "tools[1]"),
    ({"input": "hi", "tools": [{"type": "file_search", "vector_store_ids": ["v"]}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "computer_use_preview"}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "code_interpreter", "container": "auto"}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "mcp", "server_label": "x"}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "image_generation"}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "custom", "name": "grammar"}]}, "tools[0]"),
    ({"input": "hi", "tools": [{"type": "function"}]}, "tools[0].name"),
    ({"input": "hi", "tool_choice": {"type": "web_search_preview"}}, "tool_choice"),
    ({"input": "hi", "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []}}, "tool_choice"),
    ({"input": "hi", "tool_choice": "sometimes"}, "tool_choice"),
    ({"input": "hi", "reasoning": {"effort": "extreme"}}, "reasoning.effort"),
    ({"input": "hi", "text": {"format": {"type": "grammar"}}}, "text.format"),
    ({"input": "hi", "temperature": "hot"}, "temperature"),
]


@pytest.mark.parametrize(("body", "param"), REFUSALS, ids=[p for _, p in REFUSALS])
def test_refusals_name_the_parameter(body: Json, param: str) -> None:
    with pytest.raises(TranslationError) as caught:
        read(body)
    assert caught.value.param == param
    assert caught.value.message


def test_stateful_refusal_explains_itself() -> None:
    with pytest.raises(TranslationError, match=r"previous_response_id.*whole conversation"):
        read({"input": "hi", "previous_response_id": "resp_1"})


def test_malformed_body() -> None:
    with pytest.raises(TranslationError, match="not valid JSON"):
        CODEC.read_request(b"{", HINTS)
    with pytest.raises(TranslationError) as caught:
        CODEC.read_request(dumps({"input": "hi"}), HINTS)
    assert "model" in caught.value.message
