"""Round trips through the gemini-generate codec: a Gemini request read into the IR and
written back is the caller's request, thought signatures on the same parts, byte for byte;
an IR request written for Gemini and read back is the same IR."""

import base64
import json
from typing import Any

import msgspec
import pytest

from ingate_translate import ir
from ingate_translate.shapes.gemini import GeminiCodec
from ingate_translate.shapes.gemini_parts import seal, unseal

CODEC = GeminiCodec()
Json = dict[str, Any]
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
SCHEMA: Json = {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": False}


def say(text: str) -> ir.Message:
    return ir.Message(role="user", parts=[ir.Text(text=text)])


def answer(*parts: ir.Part) -> ir.Message:
    return ir.Message(role="assistant", parts=list(parts))


# -- round trips ---------------------------------------------------------------------

GEMINI_BODIES: list[Json] = [
    {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "The user wants two cities.", "thought": True},
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": SIGNATURE,
                    },
                    {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}},
                    {"functionResponse": {"name": "get_weather", "response": {"temp": 20, "unit": "C"}}},
                ],
            },
            {
                "role": "model",
                "parts": [{"text": "Sunny in Paris, 20C in Rome.", "thoughtSignature": "U0lH"}],
            },
            {
                "role": "user",
                "parts": [
                    {"text": "And this?"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "get_weather", "description": "d", "parametersJsonSchema": SCHEMA}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
        "generationConfig": {
            "temperature": 0.5,
            "maxOutputTokens": 100,
            "responseMimeType": "application/json",
            "responseJsonSchema": SCHEMA,
            "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024},
        },
    },
    {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Signed.", "thought": True, "thoughtSignature": "T1"},
                    {
                        "functionCall": {"id": "fc_1", "name": "ns.tool:run", "args": {}},
                        "thoughtSignature": "T2",
                    },
                ],
            },
            {
                "role": "user",
                "parts": [{"functionResponse": {"id": "fc_1", "name": "ns.tool:run", "response": {}}}],
            },
            {"role": "model", "parts": [{"text": "", "thoughtSignature": "T3"}]},
        ],
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "HIGH"}},
    },
]


@pytest.mark.parametrize("body", GEMINI_BODIES)
def test_gemini_to_ir_to_gemini_gives_the_request_back(body: Json) -> None:
    raw = json.dumps(body).encode()
    again = CODEC.write_request(CODEC.read_request(raw, ir.Hints(model="gemini-3-pro-preview")))
    assert json.loads(again.body) == body
    for signature in ("T1", "T2", "T3", SIGNATURE, "U0lH"):
        assert (f'"thoughtSignature":"{signature}"' in again.body.decode()) == (signature in raw.decode())


IR_REQUESTS: list[ir.Request] = [
    ir.Request(
        model="gemini-2.5-flash",
        system=[ir.Text(text="Be brief.")],
        messages=[
            say("Weather?"),
            answer(
                ir.Thinking(text="Two calls.", signature="anthropic-sig"),
                ir.Thinking(signature=SIGNATURE),
                ir.ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Paris"}),
                ir.ToolCall(id="call_get_weather_1", name="get_weather", arguments={"city": "Rome"}),
            ),
            ir.Message(
                role="user",
                parts=[
                    ir.ToolResult(call_id="toolu_01", name="get_weather", content=[ir.Text(text="sunny")]),
                    ir.ToolResult(
                        call_id="call_get_weather_1", name="get_weather", content=[ir.Text(text='{"t":20}')]
                    ),
                ],
            ),
            answer(ir.Thinking(signature="S"), ir.Text(text="Sunny and 20.")),
        ],
        tools=[ir.Tool(name="get_weather", description="d", parameters=SCHEMA)],
        tool_choice=ir.ToolChoice(mode="required"),
        max_tokens=50,
        reasoning=ir.Reasoning(budget_tokens=2048),
        response_format=ir.ResponseFormat(kind="json_schema", name="response", schema=SCHEMA),
        stop=["x"],
    ),
]


@pytest.mark.parametrize("request_", IR_REQUESTS)
def test_ir_to_gemini_to_ir_gives_the_request_back(request_: ir.Request) -> None:
    written = CODEC.write_request(request_)
    again = CODEC.read_request(written.body, ir.Hints(model=written.model, stream=written.stream))
    assert msgspec.to_builtins(again) == msgspec.to_builtins(request_)


def sdk_round_trip(signature: str) -> str:
    """What the google-genai SDK does to a thoughtSignature: decodes it as base64 (either
    alphabet) into bytes, and sends it back encoded URL-safe."""
    raw = base64.b64decode(signature.replace("-", "+").replace("_", "/"), validate=True)
    return base64.urlsafe_b64encode(raw).decode()


FOREIGN_SIGNATURES = [
    "EqQBCkgIARABGAIiQL+/Jb0n1x9u0=",  # Anthropic's: standard base64, which the SDK would alter
    "gAAAAABo-encrypted_content_from_responses==",  # not valid base64 at all
    "anthropic-sig",
    "",
]


@pytest.mark.parametrize("signature", [s for s in FOREIGN_SIGNATURES if s])
def test_another_providers_signature_survives_a_gemini_callers_sdk(signature: str) -> None:
    answer_ = ir.Response(
        id="r", model="m", parts=[ir.Thinking(signature=signature), ir.ToolCall(id="toolu_1", name="f")]
    )
    sent = json.loads(CODEC.write_response(answer_, ir.Context(model="m")))["candidates"][0]["content"]
    for part in sent["parts"]:
        if "thoughtSignature" in part:
            part["thoughtSignature"] = sdk_round_trip(part["thoughtSignature"])
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}, sent]}
    request = CODEC.read_request(json.dumps(body).encode(), ir.Hints(model="m"))
    assert request.messages[1].parts[:2] == [
        ir.Thinking(signature=signature),
        ir.ToolCall(id="toolu_1", name="f"),
    ]


@pytest.mark.parametrize("signature", [SIGNATURE, "not base64!", "AAEC", "8J+Mjw==", *FOREIGN_SIGNATURES])
def test_only_sealed_signatures_are_opened(signature: str) -> None:
    assert unseal(signature) == signature
    assert unseal(seal(signature)) == signature
