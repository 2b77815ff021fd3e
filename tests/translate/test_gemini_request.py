"""The gemini-generate codec's requests: Gemini → IR (as the caller's shape), IR → Gemini
(as the provider's), round trips both ways, refusals naming the parameter, hostile bodies."""

import json
from typing import Any

import msgspec
import pytest

from ingate_translate import ir
from ingate_translate.shapes.gemini import GeminiCodec

CODEC = GeminiCodec()
HINTS = ir.Hints(model="gemini-2.5-flash")
Json = dict[str, Any]
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
WEATHER_SCHEMA: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def read(body: Json, hints: ir.Hints = HINTS) -> ir.Request:
    return CODEC.read_request(json.dumps(body).encode(), hints)


def builtins(value: object) -> Any:
    return msgspec.to_builtins(value)


def user(*parts: Json) -> Json:
    return {"role": "user", "parts": list(parts)}


def model(*parts: Json) -> Json:
    return {"role": "model", "parts": list(parts)}


def call(name: str, args: Json, **extra: Any) -> Json:
    return {"functionCall": {**extra, "name": name, "args": args}}


def response(name: str, value: Json, **extra: Any) -> Json:
    return {"functionResponse": {**extra, "name": name, "response": value}}


# -- Gemini → IR ---------------------------------------------------------------

READ_CASES: list[tuple[str, Json, Json]] = [
    (
        "text, system and generation settings",
        {
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Be kind."}]},
            "contents": [user({"text": "Hi"})],
            "generationConfig": {
                "temperature": 0.2,
                "topP": 0.9,
                "topK": 40,
                "maxOutputTokens": 256,
                "stopSequences": ["END"],
                "presencePenalty": 0.1,
                "frequencyPenalty": 0.3,
                "seed": 7,
                "candidateCount": 1,
            },
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        },
        {
            "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
            "messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}]}],
            "max_tokens": 256,
            "temperature": 0.2,
            "top_p": 0.9,
            "top_k": 40,
            "stop": ["END"],
            "presence_penalty": 0.1,
            "frequency_penalty": 0.3,
            "seed": 7,
        },
    ),
    (
        "images inline and by file",
        {
            "contents": [
                user(
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    {
                        "fileData": {
                            "mimeType": "image/jpeg",
                            "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
                        }
                    },
                    {"text": "What is this?"},
                )
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "parts": [
                        {"type": "image", "media_type": "image/png", "data": "iVBORw0KGgo="},
                        {
                            "type": "image",
                            "media_type": "image/jpeg",
                            "url": "https://generativelanguage.googleapis.com/v1beta/files/abc",
                        },
                        {"type": "text", "text": "What is this?"},
                    ],
                }
            ]
        },
    ),
    (
        "function calls without ids get ids their responses share, by name and order",
        {
            "contents": [
                user({"text": "Paris and Rome?"}),
                model(
                    call("get_weather", {"city": "Paris"}),
                    call("get_time", {}),
                    call("get_weather", {"city": "Rome"}),
                ),
                user(
                    response("get_time", {"output": "noon"}),
                    response("get_weather", {"temp": 20}),
                    response("get_weather", {"temp": 25}),
                ),
                model(call("get_weather", {"city": "Oslo"})),
                user(response("get_weather", {"output": "cold"})),
            ]
        },
        {
            "messages": [
                {"role": "user", "parts": [{"type": "text", "text": "Paris and Rome?"}]},
                {
                    "role": "assistant",
                    "parts": [
                        {
                            "type": "tool_call",
                            "id": "call_get_weather_0",
                            "name": "get_weather",
                            "arguments": {"city": "Paris"},
                        },
                        {"type": "tool_call", "id": "call_get_time_1", "name": "get_time"},
                        {
                            "type": "tool_call",
                            "id": "call_get_weather_2",
                            "name": "get_weather",
                            "arguments": {"city": "Rome"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "type": "tool_result",
                            "call_id": "call_get_time_1",
                            "name": "get_time",
                            "content": [{"type": "text", "text": "noon"}],
                        },
                        {
                            "type": "tool_result",
                            "call_id": "call_get_weather_0",
                            "name": "get_weather",
                            "content": [{"type": "text", "text": '{"temp":20}'}],
                        },
                        {
                            "type": "tool_result",
                            "call_id": "call_get_weather_2",
                            "name": "get_weather",
                            "content": [{"type": "text", "text": '{"temp":25}'}],
                        },
                    ],
                },
                {
                    "role": "assistant",
                    "parts": [
                        {
                            "type": "tool_call",
                            "id": "call_get_weather_3",
                            "name": "get_weather",
                            "arguments": {"city": "Oslo"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "type": "tool_result",
                            "call_id": "call_get_weather_3",
                            "name": "get_weather",
                            "content": [{"type": "text", "text": "cold"}],
                        }
                    ],
                },
            ]
        },
    ),
    (
        "Gemini's own ids are kept, and a response without one answers the call of its name",
        {
            "contents": [
                model(call("a.b:c", {}, id="fc-1"), call("a.b:c", {}, id="fc-2")),
                user(response("a.b:c", {"output": "2"}, id="fc-2"), response("a.b:c", {"output": "1"})),
            ]
        },
        {
            "messages": [
                {
                    "role": "assistant",
                    "parts": [
                        {"type": "tool_call", "id": "fc-1", "name": "a.b:c"},
                        {"type": "tool_call", "id": "fc-2", "name": "a.b:c"},
                    ],
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "type": "tool_result",
                            "call_id": "fc-2",
                            "name": "a.b:c",
                            "content": [{"type": "text", "text": "2"}],
                        },
                        {
                            "type": "tool_result",
                            "call_id": "fc-1",
                            "name": "a.b:c",
                            "content": [{"type": "text", "text": "1"}],
                        },
                    ],
                },
            ]
        },
    ),
    (
        "thought parts and signatures",
        {
            "contents": [
                user({"text": "Hi"}),
                model(
                    {"text": "First, ", "thought": True},
                    {"text": "think.", "thought": True},
                    {"text": "Signed thought", "thought": True, "thoughtSignature": "T1"},
                    call("f", {"x": 1}, id="c1") | {"thoughtSignature": SIGNATURE},
                    {"text": "Done.", "thoughtSignature": "T2"},
                    {"text": "", "thoughtSignature": "T3"},
                ),
            ]
        },
        {
            "messages": [
                {"role": "user", "parts": [{"type": "text", "text": "Hi"}]},
                {
                    "role": "assistant",
                    "parts": [
                        {"type": "thinking", "text": "First, think.Signed thought", "signature": "T1"},
                        {"type": "thinking", "signature": SIGNATURE},
                        {"type": "tool_call", "id": "c1", "name": "f", "arguments": {"x": 1}},
                        {"type": "thinking", "signature": "T2"},
                        {"type": "text", "text": "Done."},
                        {"type": "thinking", "signature": "T3"},
                    ],
                },
            ]
        },
    ),
    (
        "tools in Gemini's schema dialect become JSON Schema",
        {
            "contents": [user({"text": "Hi"})],
            "tools": [
                {
                    "functionDeclarations": [
                        {
                            "name": "get_weather",
                            "description": "Weather by city",
                            "parameters": {
                                "type": "OBJECT",
                                "properties": {
                                    "city": {"type": "STRING", "nullable": True},
                                    "days": {"type": "ARRAY", "items": {"type": "INTEGER"}},
                                },
                                "propertyOrdering": ["city", "days"],
                            },
                        },
                        {"name": "ping"},
                    ]
                },
                {"functionDeclarations": [{"name": "lookup", "parametersJsonSchema": WEATHER_SCHEMA}]},
            ],
        },
        {
            "messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}]}],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Weather by city",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "city": {"type": ["string", "null"]},
                            "days": {"type": "array", "items": {"type": "integer"}},
                        },
                    },
                },
                {"name": "ping", "parameters": {"type": "object", "properties": {}}},
                {"name": "lookup", "parameters": WEATHER_SCHEMA},
            ],
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [case[1:] for case in READ_CASES], ids=[c[0] for c in READ_CASES]
)
def test_read_request(body: Json, expected: Json) -> None:
    assert builtins(read(body)) == {"model": "gemini-2.5-flash", **expected}


def test_model_and_stream_come_from_the_path() -> None:
    request = read({"contents": [user({"text": "Hi"})]}, ir.Hints(model="models/gemini-2.5-pro", stream=True))
    assert (request.model, request.stream) == ("gemini-2.5-pro", True)
    assert read({"contents": []}, ir.Hints(model="gemini-2.5-pro")).stream is False


def test_proto_field_names_read_as_camel_case() -> None:
    camel = READ_CASES[4][1] | {
        "generationConfig": {"maxOutputTokens": 5, "thinkingConfig": {"thinkingBudget": 512}}
    }
    snake: Json = {
        "contents": [
            user({"text": "Hi"}),
            model(
                {"text": "First, ", "thought": True},
                {"text": "think.", "thought": True},
                {"text": "Signed thought", "thought": True, "thought_signature": "T1"},
                {
                    "function_call": {"id": "c1", "name": "f", "args": {"x": 1}},
                    "thought_signature": SIGNATURE,
                },
                {"text": "Done.", "thought_signature": "T2"},
                {"text": "", "thought_signature": "T3"},
            ),
        ],
        "generation_config": {"max_output_tokens": 5, "thinking_config": {"thinking_budget": 512}},
    }
    assert read(snake) == read(camel)
    args = read(
        {"contents": [model({"function_call": {"name": "f", "args": {"snake_key": {"inner_key": 1}}}})]}
    )
    assert builtins(args.messages[0].parts[0])["arguments"] == {"snake_key": {"inner_key": 1}}


TOOL_CHOICES: list[tuple[Json, Json | None]] = [
    ({}, None),
    ({"mode": "AUTO"}, {}),  # auto is the default mode
    ({"mode": "validated"}, {}),
    ({"mode": "NONE"}, {"mode": "none"}),
    ({"mode": "ANY"}, {"mode": "required"}),
    ({"mode": "ANY", "allowedFunctionNames": ["f"]}, {"mode": "tool", "name": "f"}),
]


@pytest.mark.parametrize(("config", "expected"), TOOL_CHOICES)
def test_tool_choice(config: Json, expected: Json | None) -> None:
    body = {"contents": [], "toolConfig": {"functionCallingConfig": config}} if config else {"contents": []}
    assert builtins(read(body).tool_choice) == expected


THINKING: list[tuple[Json, Json]] = [
    ({"thinkingBudget": 0}, {"enabled": False, "include_thoughts": False}),
    ({"thinkingBudget": -1}, {"include_thoughts": False}),
    ({"thinkingBudget": 4096, "includeThoughts": True}, {"budget_tokens": 4096}),
    ({"thinkingLevel": "low", "includeThoughts": True}, {"effort": "low"}),
    ({"thinkingLevel": "HIGH"}, {"effort": "high", "include_thoughts": False}),
    ({"includeThoughts": True}, {}),
]


@pytest.mark.parametrize(("config", "expected"), THINKING)
def test_thinking_config(config: Json, expected: Json) -> None:
    reasoning = read({"contents": [], "generationConfig": {"thinkingConfig": config}}).reasoning
    assert builtins(reasoning) == expected


RESPONSE_FORMATS: list[tuple[Json, Json | None]] = [
    ({"responseMimeType": "text/plain"}, None),
    ({"responseMimeType": "application/json"}, {"kind": "json_object"}),
    (
        {"responseMimeType": "application/json", "responseJsonSchema": WEATHER_SCHEMA},
        {"kind": "json_schema", "name": "response", "schema": WEATHER_SCHEMA},
    ),
    (
        {
            "responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT", "properties": {"n": {"type": "NUMBER"}}},
        },
        {
            "kind": "json_schema",
            "name": "response",
            "schema": {"type": "object", "properties": {"n": {"type": "number"}}},
        },
    ),
]


@pytest.mark.parametrize(("config", "expected"), RESPONSE_FORMATS)
def test_response_format(config: Json, expected: Json | None) -> None:
    assert builtins(read({"contents": [], "generationConfig": config}).response_format) == expected
