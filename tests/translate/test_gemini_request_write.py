"""The gemini-generate codec as the provider's shape: IR requests → Gemini, and round trips
(Gemini → IR → Gemini gives the caller's request back; IR → Gemini → IR gives the IR back)."""

import json
from typing import Any

import pytest

from ingate_translate import ir
from ingate_translate.shapes.gemini import GeminiCodec

CODEC = GeminiCodec()
Json = dict[str, Any]
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
SCHEMA: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": False}


def write(request: ir.Request) -> Json:
    body: Json = json.loads(CODEC.write_request(request).body)
    return body


def say(text: str) -> ir.Message:
    return ir.Message(role="user", parts=[ir.Text(text=text)])


def answer(*parts: ir.Part) -> ir.Message:
    return ir.Message(role="assistant", parts=list(parts))


def test_path_query_and_model() -> None:
    plain = CODEC.write_request(ir.Request(model="gemini-2.5-flash", messages=[say("hi")]))
    assert (plain.path, plain.query, plain.stream) == (
        "/v1beta/models/gemini-2.5-flash:generateContent",
        "",
        False,
    )
    streamed = CODEC.write_request(
        ir.Request(model="models/gemini-2.5-pro", messages=[say("hi")], stream=True)
    )
    assert streamed.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent"
    assert (streamed.query, streamed.stream, streamed.model) == ("alt=sse", True, "gemini-2.5-pro")


def test_a_model_name_cannot_leave_its_path_segment() -> None:
    hostile = CODEC.write_request(ir.Request(model="../../v1/files?x=1#", messages=[say("hi")]))
    assert hostile.path == "/v1beta/models/..%2F..%2Fv1%2Ffiles%3Fx%3D1%23:generateContent"


WRITE_CASES: list[tuple[str, ir.Request, Json]] = [
    (
        "settings, system, cache marks and the user ignored",
        ir.Request(
            model="gemini-2.5-flash",
            system=[ir.Text(text="Be brief.", cache="5m"), ir.Text(text="")],
            messages=[ir.Message(role="user", parts=[ir.Text(text="Hi", cache="1h"), ir.Text(text="")])],
            max_tokens=100,
            temperature=0.3,
            top_p=0.8,
            top_k=20,
            stop=["END"],
            presence_penalty=0.5,
            frequency_penalty=0.25,
            seed=3,
            user="u-1",
        ),
        {
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {
                "temperature": 0.3,
                "topP": 0.8,
                "topK": 20,
                "maxOutputTokens": 100,
                "stopSequences": ["END"],
                "presencePenalty": 0.5,
                "frequencyPenalty": 0.25,
                "seed": 3,
            },
        },
    ),
    (
        "tools, a forced tool, and results as response objects",
        ir.Request(
            model="gemini-2.5-flash",
            messages=[
                say("Weather?"),
                answer(
                    ir.Text(text="Checking."),
                    ir.ToolCall(id="toolu_01A", name="get_weather", arguments={"city": "Paris"}),
                    ir.ToolCall(id="call_get_weather_1", name="get_weather", arguments={"city": "Rome"}),
                ),
                ir.Message(
                    role="user",
                    parts=[
                        ir.ToolResult(
                            call_id="toolu_01A", name="get_weather", content=[ir.Text(text='{"temp": 20}')]
                        ),
                        ir.ToolResult(
                            call_id="call_get_weather_1", name="get_weather", content=[ir.Text(text="sunny")]
                        ),
                        ir.ToolResult(
                            call_id="x", name="get_weather", content=[ir.Text(text="boom")], is_error=True
                        ),
                        ir.ToolResult(
                            call_id="y",
                            name="snap",
                            content=[
                                ir.Image(media_type="image/png", data="iVBOR"),
                                ir.Text(text="a"),
                                ir.Text(text="b"),
                            ],
                        ),
                    ],
                ),
            ],
            tools=[
                ir.Tool(name="get_weather", description="By city", parameters=SCHEMA),
                ir.Tool(name="snap"),
            ],
            tool_choice=ir.ToolChoice(mode="tool", name="get_weather", parallel=False),
        ),
        {
            "contents": [
                {"role": "user", "parts": [{"text": "Weather?"}]},
                {
                    "role": "model",
                    "parts": [
                        {"text": "Checking."},
                        {
                            "functionCall": {
                                "id": "toolu_01A",
                                "name": "get_weather",
                                "args": {"city": "Paris"},
                            }
                        },
                        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
                    ],
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "functionResponse": {
                                "id": "toolu_01A",
                                "name": "get_weather",
                                "response": {"temp": 20},
                            }
                        },
                        {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}},
                        {
                            "functionResponse": {
                                "id": "x",
                                "name": "get_weather",
                                "response": {"error": "boom"},
                            }
                        },
                        {
                            "functionResponse": {
                                "id": "y",
                                "name": "snap",
                                "response": {"output": "a\nb"},
                                "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBOR"}}],
                            }
                        },
                    ],
                },
            ],
            "tools": [
                {
                    "functionDeclarations": [
                        {"name": "get_weather", "description": "By city", "parametersJsonSchema": SCHEMA},
                        {"name": "snap", "parametersJsonSchema": {"type": "object", "properties": {}}},
                    ]
                }
            ],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
        },
    ),
    (
        "thinking: signed thought parts, a signature on the call after it, redacted thinking left out",
        ir.Request(
            model="gemini-3-pro-preview",
            messages=[
                say("Hi"),
                answer(
                    ir.RedactedThinking(data="opaque"),
                    ir.Thinking(text="Plan.", signature="T1"),
                    ir.Thinking(text="More."),
                    ir.Thinking(signature=SIGNATURE),
                    ir.ToolCall(id="c1", name="f"),
                    ir.ToolCall(id="c2", name="f", signature="S2"),
                    ir.Thinking(signature="T3"),
                    ir.Thinking(signature="T4"),
                    ir.Text(text="Done."),
                    ir.Thinking(signature="T5"),
                    ir.Thinking(),
                ),
            ],
        ),
        {
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {
                    "role": "model",
                    "parts": [
                        {"text": "Plan.", "thought": True, "thoughtSignature": "T1"},
                        {"text": "More.", "thought": True},
                        {
                            "functionCall": {"id": "c1", "name": "f", "args": {}},
                            "thoughtSignature": SIGNATURE,
                        },
                        {"functionCall": {"id": "c2", "name": "f", "args": {}}, "thoughtSignature": "S2"},
                        {"text": "", "thoughtSignature": "T3"},
                        {"text": "Done.", "thoughtSignature": "T4"},
                        {"text": "", "thoughtSignature": "T5"},
                    ],
                },
            ]
        },
    ),
    (
        "a turn with nothing Gemini can hold is left out; images inline and by Gemini file",
        ir.Request(
            model="gemini-2.5-flash",
            messages=[
                ir.Message(
                    role="user",
                    parts=[
                        ir.Image(media_type="image/webp", data="UklGR"),
                        ir.Image(url="https://generativelanguage.googleapis.com/v1beta/files/f1"),
                        ir.Image(media_type="image/png", url="gs://bucket/cat.png"),
                    ],
                ),
                answer(ir.RedactedThinking(data="x"), ir.Thinking()),
            ],
        ),
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"inlineData": {"mimeType": "image/webp", "data": "UklGR"}},
                        {
                            "fileData": {
                                "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/f1"
                            }
                        },
                        {"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.png"}},
                    ],
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(
    ("request_", "expected"), [c[1:] for c in WRITE_CASES], ids=[c[0] for c in WRITE_CASES]
)
def test_write_request(request_: ir.Request, expected: Json) -> None:
    assert write(request_) == expected


def config(request: ir.Request) -> Json | None:
    generation: Json | None = write(request).get("generationConfig")
    return generation


REASONING: list[tuple[str, ir.Reasoning | None, Json | None]] = [
    ("gemini-2.5-flash", None, None),
    ("gemini-2.5-flash", ir.Reasoning(enabled=False), {"thinkingBudget": 0}),
    ("gemini-2.5-flash", ir.Reasoning(budget_tokens=3000), {"includeThoughts": True, "thinkingBudget": 3000}),
    ("gemini-2.5-pro", ir.Reasoning(effort="medium"), {"includeThoughts": True, "thinkingBudget": 8192}),
    ("gemini-3-pro-preview", ir.Reasoning(effort="low"), {"includeThoughts": True, "thinkingLevel": "LOW"}),
    ("gemini-3-flash", ir.Reasoning(effort="high", include_thoughts=False), {"thinkingLevel": "HIGH"}),
    ("gemini-3-flash", ir.Reasoning(), {"includeThoughts": True}),
    (
        "gemini-flash-latest",
        ir.Reasoning(effort="minimal"),
        {"includeThoughts": True, "thinkingBudget": 1024},
    ),
]


@pytest.mark.parametrize(("model", "reasoning", "expected"), REASONING)
def test_thinking_config(model: str, reasoning: ir.Reasoning | None, expected: Json | None) -> None:
    generation = config(ir.Request(model=model, messages=[say("hi")], reasoning=reasoning))
    assert (generation or {}).get("thinkingConfig") == expected


FORMATS: list[tuple[ir.ResponseFormat | None, Json | None]] = [
    (None, None),
    (ir.ResponseFormat(kind="text"), None),
    (ir.ResponseFormat(kind="json_object"), {"responseMimeType": "application/json"}),
    (
        ir.ResponseFormat(kind="json_schema", name="w", schema=SCHEMA, strict=True),
        {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA},
    ),
]


@pytest.mark.parametrize(("answer_format", "expected"), FORMATS)
def test_response_format(answer_format: ir.ResponseFormat | None, expected: Json | None) -> None:
    assert config(ir.Request(model="m", messages=[say("hi")], response_format=answer_format)) == expected


CHOICES: list[tuple[ir.ToolChoice, str | None]] = [
    (ir.ToolChoice(mode="auto"), "AUTO"),
    (ir.ToolChoice(mode="none"), "NONE"),
    (ir.ToolChoice(mode="required", parallel=False), "ANY"),
]


@pytest.mark.parametrize(("choice", "mode"), CHOICES)
def test_tool_choice(choice: ir.ToolChoice, mode: str) -> None:
    body = write(ir.Request(model="m", messages=[say("hi")], tools=[ir.Tool(name="f")], tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": mode}}
    assert "toolConfig" not in write(ir.Request(model="m", messages=[say("hi")], tool_choice=choice))


def test_a_tool_result_nested_past_any_object_goes_as_text() -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    result = ir.ToolResult(call_id="c", name="f", content=[ir.Text(text=deep)])
    body = write(ir.Request(model="m", messages=[ir.Message(role="user", parts=[result])]))
    assert body["contents"][0]["parts"][0]["functionResponse"]["response"] == {"output": deep}


def test_turns_of_one_role_are_one_turn() -> None:
    """A chat caller's tool messages come one per result; Gemini wants them in one turn."""
    calls = answer(ir.ToolCall(id="a", name="f"), ir.ToolCall(id="b", name="f"))
    results = [
        ir.Message(role="user", parts=[ir.ToolResult(call_id=i, name="f", content=[ir.Text(text=i)])])
        for i in "ab"
    ]
    body = write(ir.Request(model="m", messages=[say("go"), calls, *results, say("and?")]))
    assert [(turn["role"], len(turn["parts"])) for turn in body["contents"]] == [
        ("user", 1),
        ("model", 2),
        ("user", 3),
    ]
