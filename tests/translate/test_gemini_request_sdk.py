"""A request exactly as the google-genai SDK sends it reads as the IR it means.

The SDK's body is camelCase mostly, but snake_case inside inlineData and thinkingConfig
(it passes those through as its own field names), and its system instruction has a role.
"""

import json
from typing import Any

import msgspec

from ingate_translate import ir
from ingate_translate.shapes.gemini import GeminiCodec

CODEC = GeminiCodec()

# Recorded from google-genai 3.6's models.generate_content, key order kept.
SDK_BODY: dict[str, Any] = {
    "contents": [
        {
            "parts": [{"text": "Weather?"}, {"inlineData": {"data": "iVBORw==", "mime_type": "image/png"}}],
            "role": "user",
        },
        {
            "parts": [
                {"text": "plan", "thought": True},
                {
                    "functionCall": {"args": {"city": "Paris"}, "name": "get_weather"},
                    "thoughtSignature": "CiQB0e2Kb7xJc_8=",
                },
            ],
            "role": "model",
        },
        {
            "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}}],
            "role": "user",
        },
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}], "role": "user"},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "description": "d",
                    "name": "get_weather",
                    "parameters": {
                        "properties": {"city": {"type": "STRING"}},
                        "required": ["city"],
                        "type": "OBJECT",
                    },
                }
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"allowedFunctionNames": ["get_weather"], "mode": "ANY"}},
    "generationConfig": {
        "temperature": 0.2,
        "topK": 40.0,
        "maxOutputTokens": 100,
        "stopSequences": ["x"],
        "seed": 1,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
        "thinkingConfig": {"include_thoughts": True, "thinking_budget": 1024},
    },
}


def test_the_sdks_own_request() -> None:
    request = CODEC.read_request(json.dumps(SDK_BODY).encode(), ir.Hints(model="gemini-2.5-flash"))
    assert msgspec.to_builtins(request) == {
        "model": "gemini-2.5-flash",
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {
                "role": "user",
                "parts": [
                    {"type": "text", "text": "Weather?"},
                    {"type": "image", "media_type": "image/png", "data": "iVBORw=="},
                ],
            },
            {
                "role": "assistant",
                "parts": [
                    {"type": "thinking", "text": "plan"},
                    {"type": "thinking", "signature": "CiQB0e2Kb7xJc_8="},
                    {
                        "type": "tool_call",
                        "id": "call_get_weather_0",
                        "name": "get_weather",
                        "arguments": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "user",
                "parts": [
                    {
                        "type": "tool_result",
                        "call_id": "call_get_weather_0",
                        "name": "get_weather",
                        "content": [{"type": "text", "text": "sunny"}],
                    }
                ],
            },
        ],
        "tools": [
            {
                "name": "get_weather",
                "description": "d",
                "parameters": {
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                    "type": "object",
                },
            }
        ],
        "tool_choice": {"mode": "tool", "name": "get_weather"},
        "max_tokens": 100,
        "temperature": 0.2,
        "top_k": 40,
        "stop": ["x"],
        "seed": 1,
        "response_format": {"kind": "json_schema", "name": "response", "schema": {"type": "object"}},
        "reasoning": {"budget_tokens": 1024},
    }
