"""Responses API requests written for a Responses provider from the IR, refusals of what the
API cannot take, and write-then-read round trips through the caller side."""

import json
from typing import Any

import pytest

from ingate_translate import TranslationError, ir
from tests.translate.support import Json
from tests.translate.test_responses_request import CODEC, HINTS, PNG, WEATHER, assistant, read, user

CONVERSATION = ir.Request(
    model="gpt-5",
    system=[ir.Text(text="Be brief."), ir.Text(text="Use metric.")],
    messages=[
        user(ir.Text(text="Weather here?"), ir.Image(media_type="image/png", data=PNG)),
        assistant(
            ir.Thinking(text="Look outside.", signature="gAAAA-sig"),
            ir.Thinking(text="unsigned thoughts are not sent"),
            ir.RedactedThinking(data="another provider's"),
            ir.Text(text="Checking."),
            ir.ToolCall(id="call_1", name="weather", arguments={"city": "Paris"}),
        ),
        user(
            ir.ToolResult(call_id="call_1", content=[ir.Text(text="18C")]),
            ir.ToolResult(
                call_id="call_2", content=[ir.Text(text="map:"), ir.Image(url="https://x.test/m.png")]
            ),
            ir.Text(text="Thanks."),
        ),
    ],
    tools=[ir.Tool(name="weather", description="Weather", parameters=WEATHER)],
    tool_choice=ir.ToolChoice(mode="auto", parallel=False),
    max_tokens=500,
    temperature=0.2,
    top_p=0.8,
    seed=7,
    response_format=ir.ResponseFormat(kind="json_schema", schema=WEATHER),
    reasoning=ir.Reasoning(budget_tokens=10000),
    user="u1",
    stream=True,
)


def test_write_request() -> None:
    translated = CODEC.write_request(CONVERSATION)
    assert (translated.path, translated.stream, translated.model) == ("/responses", True, "gpt-5")
    body = json.loads(translated.body)
    reasoning_id = body["input"][1]["id"]
    assert reasoning_id.startswith("rs_")
    assert body == {
        "model": "gpt-5",
        "instructions": "Be brief.\n\nUse metric.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Weather here?"},
                    {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}", "detail": "auto"},
                ],
            },
            {
                "type": "reasoning",
                "id": reasoning_id,
                "summary": [{"type": "summary_text", "text": "Look outside."}],
                "encrypted_content": "gAAAA-sig",
            },
            {"type": "message", "role": "assistant", "content": "Checking."},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
            {
                "type": "function_call_output",
                "call_id": "call_2",
                "output": [
                    {"type": "input_text", "text": "map:"},
                    {"type": "input_image", "image_url": "https://x.test/m.png", "detail": "auto"},
                ],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks."}]},
        ],
        "tools": [
            {
                "type": "function",
                "name": "weather",
                "description": "Weather",
                "parameters": WEATHER,
                "strict": False,
            }
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "max_output_tokens": 500,
        "temperature": 0.2,
        "top_p": 0.8,
        "stream": True,
        "reasoning": {"effort": "high", "summary": "auto"},
        "text": {"format": {"type": "json_schema", "name": "response", "schema": WEATHER}},
        "user": "u1",
        "store": False,
        "include": ["reasoning.encrypted_content"],
    }


def test_write_request_reasoning_ids_are_stable() -> None:
    first = json.loads(CODEC.write_request(CONVERSATION).body)["input"][1]["id"]
    again = json.loads(CODEC.write_request(CONVERSATION).body)["input"][1]["id"]
    assert first == again


@pytest.mark.parametrize(
    ("reasoning", "expected"),
    [
        (ir.Reasoning(budget_tokens=1024), {"effort": "low", "summary": "auto"}),
        (ir.Reasoning(budget_tokens=8192), {"effort": "medium", "summary": "auto"}),
        (ir.Reasoning(effort="minimal", include_thoughts=False), {"effort": "minimal"}),
        (ir.Reasoning(), {"effort": "medium", "summary": "auto"}),
        (ir.Reasoning(enabled=False), {"effort": "none"}),
    ],
)
def test_write_reasoning(reasoning: ir.Reasoning, expected: Json) -> None:
    body = json.loads(CODEC.write_request(ir.Request(model="m", reasoning=reasoning)).body)
    assert body["reasoning"] == expected
    assert ("include" in body) == reasoning.enabled


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ir.ToolChoice(mode="none"), "none"),
        (ir.ToolChoice(mode="required"), "required"),
        (ir.ToolChoice(mode="tool", name="weather"), {"type": "function", "name": "weather"}),
    ],
)
def test_write_tool_choice(choice: ir.ToolChoice, expected: Any) -> None:
    tools = [ir.Tool(name="weather")]
    body = json.loads(CODEC.write_request(ir.Request(model="m", tools=tools, tool_choice=choice)).body)
    assert body["tool_choice"] == expected and "parallel_tool_calls" not in body
    assert body["tools"] == [
        {
            "type": "function",
            "name": "weather",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        }
    ]


def test_tool_choice_without_tools_is_left_out() -> None:
    request = ir.Request(model="m", tool_choice=ir.ToolChoice(mode="required", parallel=False))
    body = json.loads(CODEC.write_request(request).body)
    assert "tool_choice" not in body and "parallel_tool_calls" not in body


def test_write_minimal_request() -> None:
    request = ir.Request(model="m", messages=[user(ir.Text(text="hi"))], response_format=ir.ResponseFormat())
    assert json.loads(CODEC.write_request(request).body) == {
        "model": "m",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "store": False,
    }
    json_mode = ir.Request(model="m", response_format=ir.ResponseFormat(kind="json_object"))
    assert json.loads(CODEC.write_request(json_mode).body)["text"] == {"format": {"type": "json_object"}}


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        (ir.Request(model="m", top_k=5), "top_k"),
        (ir.Request(model="m", stop=["END"]), "stop"),
        (ir.Request(model="m", presence_penalty=0.5), "presence_penalty"),
        (ir.Request(model="m", frequency_penalty=0.5), "frequency_penalty"),
        (
            ir.Request(model="m", messages=[assistant(ir.Image(url="https://x.test/a.png"))]),
            "messages[0].parts[0]",
        ),
    ],
)
def test_write_refusals(request_: ir.Request, param: str) -> None:
    with pytest.raises(TranslationError) as caught:
        CODEC.write_request(request_)
    assert caught.value.param == param


# -- round trips: what the provider side writes, the caller side reads back -------------

ROUND_TRIPS = [
    ir.Request(model="m", messages=[user(ir.Text(text="hi"))]),
    ir.Request(
        model="m",
        system=[ir.Text(text="Be brief.")],
        messages=[
            user(
                ir.Text(text="a"),
                ir.Image(media_type="image/jpeg", data=PNG),
                ir.Image(url="https://x.test/b.png"),
            ),
            assistant(
                ir.Thinking(text="think", signature="gAAAA=="),
                ir.Thinking(signature="no-summary"),
                ir.Text(text="calling"),
                ir.ToolCall(id="c1", name="f", arguments={"x": [1, 2]}),
            ),
            user(ir.ToolResult(call_id="c1", content=[ir.Text(text="ok")]), ir.Text(text="go on")),
        ],
        tools=[ir.Tool(name="f", description="d", parameters=WEATHER), ir.Tool(name="g")],
        tool_choice=ir.ToolChoice(mode="tool", name="f", parallel=True),
        max_tokens=64,
        temperature=0.0,
        top_p=1.0,
        response_format=ir.ResponseFormat(kind="json_schema", name="out", schema=WEATHER, strict=True),
        reasoning=ir.Reasoning(effort="high"),
        user="u",
        stream=True,
    ),
]


@pytest.mark.parametrize("request_", ROUND_TRIPS)
def test_write_then_read_recovers_the_request(request_: ir.Request) -> None:
    assert CODEC.read_request(CODEC.write_request(request_).body, HINTS) == request_


def test_encrypted_content_is_byte_identical_through_a_caller() -> None:
    """A signature goes out in a response, comes back in the caller's input unchanged."""
    signature = "gAAAAABo" + "x/+=" * 50 + "\u00e9"
    body = read(
        {"input": [{"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": signature}]}
    )
    assert body.messages[0].parts == [ir.Thinking(signature=signature)]
    written = json.loads(CODEC.write_request(body).body)
    assert written["input"][0]["encrypted_content"] == signature
