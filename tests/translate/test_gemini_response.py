"""The gemini-generate codec's answers and errors: Gemini → IR and IR → Gemini, table-driven."""

import json
from typing import Any

import msgspec
import pytest

from ingate_translate import BackendFormatError, ir
from ingate_translate.shapes.gemini import GeminiCodec
from ingate_translate.shapes.gemini_parts import seal, unseal

CODEC = GeminiCodec()
Json = dict[str, Any]
CONTEXT = ir.Context(model="gemini-2.5-flash", created=1_700_000_000)
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
USAGE: Json = {
    "promptTokenCount": 120,
    "candidatesTokenCount": 30,
    "totalTokenCount": 200,
    "cachedContentTokenCount": 100,
    "thoughtsTokenCount": 40,
    "toolUsePromptTokenCount": 10,
}


def gemini(*parts: Json, finish: str | None = "STOP", usage: Json | None = None) -> Json:
    candidate: Json = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    body: Json = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash-001", "responseId": "resp-1"}
    if usage:
        body["usageMetadata"] = usage
    return body


def read(body: Json) -> Json:
    decoded: Json = msgspec.to_builtins(CODEC.read_response(json.dumps(body).encode()))
    return decoded


READ_CASES: list[tuple[str, Json, Json]] = [
    (
        "text with usage: thoughts count as output, tool-use prompt as input",
        gemini({"text": "Hello"}, {"text": " there"}, usage=USAGE),
        {
            "parts": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}],
            "usage": {
                "input_tokens": 130,
                "output_tokens": 70,
                "cache_read_tokens": 100,
                "reasoning_tokens": 40,
            },
        },
    ),
    (
        "function calls without ids, thinking and its signature: a tool-call stop",
        gemini(
            {"text": "Two cities.", "thought": True},
            {
                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": SIGNATURE,
            },
            {"functionCall": {"name": "get-weather.v2", "args": {"city": "Rome"}}},
        ),
        {
            "parts": [
                {"type": "thinking", "text": "Two cities."},
                {"type": "thinking", "signature": SIGNATURE},
                {
                    "type": "tool_call",
                    "id": "call_get_weather_0",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                },
                {
                    "type": "tool_call",
                    "id": "call_get-weather_v2_1",
                    "name": "get-weather.v2",
                    "arguments": {"city": "Rome"},
                },
            ],
            "stop": "tool_calls",
        },
    ),
    (
        "a call with Gemini's id and no args",
        gemini({"functionCall": {"id": "fc-9", "name": "ping"}}),
        {"parts": [{"type": "tool_call", "id": "fc-9", "name": "ping"}], "stop": "tool_calls"},
    ),
    (
        "cut at the token limit",
        gemini({"text": "Once upon"}, finish="MAX_TOKENS"),
        {"parts": [{"type": "text", "text": "Once upon"}], "stop": "length"},
    ),
    ("stopped by the safety filter", gemini(finish="SAFETY"), {"stop": "content_filter"}),
    (
        "recitation",
        gemini({"text": "x"}, finish="RECITATION"),
        {"parts": [{"type": "text", "text": "x"}], "stop": "content_filter"},
    ),
    (
        "a reason Gemini adds later",
        gemini({"text": "x"}, finish="SOMETHING_NEW"),
        {"parts": [{"type": "text", "text": "x"}]},
    ),
    (
        "a blocked prompt has no candidates",
        {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
            "responseId": "r",
        },
        {"id": "r", "model": "", "stop": "content_filter", "usage": {"input_tokens": 5}},
    ),
    (
        "an image answer",
        gemini({"inlineData": {"mimeType": "image/png", "data": "iVBOR"}}),
        {"parts": [{"type": "image", "media_type": "image/png", "data": "iVBOR"}]},
    ),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_read_response(body: Json, expected: Json) -> None:
    assert read(body) == {"id": "resp-1", "model": "gemini-2.5-flash-001", "usage": {}, **expected}


MALFORMED: list[bytes] = [
    b"",
    b"<html>502</html>",
    b"{}",
    b"[]",
    b'{"candidates": "none"}',
    b'{"candidates": [{"content": {"parts": [{"text": 1}]}}]}',
    b'{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "audio/wav", "data": "UklG"}}]}}]}',
    b'{"candidates": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
    b'{"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": '
    + b'{"a":' * 100_000
    + b"1"
    + b"}" * 100_000
    + b"}}]}}]}",
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_an_answer_not_in_gemini_format(body: bytes) -> None:
    with pytest.raises(BackendFormatError):
        CODEC.read_response(body)


WRITE_CASES: list[tuple[str, ir.Response, Json]] = [
    (
        "text, with usage",
        ir.Response(
            id="msg_01",
            model="claude-x",
            parts=[ir.Text(text="Hi")],
            usage=ir.Usage(
                input_tokens=100,
                output_tokens=50,
                cache_read_tokens=80,
                cache_write_tokens=5,
                reasoning_tokens=20,
            ),
        ),
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": 100,
                "candidatesTokenCount": 30,
                "totalTokenCount": 150,
                "cachedContentTokenCount": 80,
                "thoughtsTokenCount": 20,
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "msg_01",
        },
    ),
    (
        "thinking and tool calls, ids kept for the caller to return",
        ir.Response(
            id="chatcmpl-1",
            model="gpt",
            parts=[
                ir.Thinking(text="Think.", signature="anthropic-sig"),
                ir.RedactedThinking(data="zzz"),
                ir.ToolCall(id="call_abc", name="f", arguments={"a": [1]}),
            ],
            stop="tool_calls",
        ),
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "Think.", "thought": True, "thoughtSignature": seal("anthropic-sig")},
                            {"functionCall": {"id": "call_abc", "name": "f", "args": {"a": [1]}}},
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 0, "candidatesTokenCount": 0, "totalTokenCount": 0},
            "modelVersion": "gemini-2.5-flash",
            "responseId": "chatcmpl-1",
        },
    ),
]


@pytest.mark.parametrize(
    ("answer", "expected"), [c[1:] for c in WRITE_CASES], ids=[c[0] for c in WRITE_CASES]
)
def test_write_response(answer: ir.Response, expected: Json) -> None:
    assert json.loads(CODEC.write_response(answer, CONTEXT)) == expected


FINISHES: list[tuple[ir.StopReason, str]] = [
    ("end", "STOP"),
    ("tool_calls", "STOP"),
    ("stop_sequence", "STOP"),
    ("pause", "STOP"),
    ("length", "MAX_TOKENS"),
    ("content_filter", "SAFETY"),
]


@pytest.mark.parametrize(("stop", "finish"), FINISHES)
def test_finish_reasons(stop: ir.StopReason, finish: str) -> None:
    body = json.loads(CODEC.write_response(ir.Response(id="r", model="m", stop=stop), CONTEXT))
    assert body["candidates"][0]["finishReason"] == finish


@pytest.mark.parametrize("body", [READ_CASES[0][1], READ_CASES[1][1], READ_CASES[3][1]])
def test_gemini_answer_round_trips(body: Json) -> None:
    """Read as IR and written back, an answer is the one Gemini sent (its own model name aside)."""
    answer = CODEC.read_response(json.dumps(body).encode())
    again = json.loads(CODEC.write_response(answer, ir.Context(model=body["modelVersion"])))
    for part in again["candidates"][0]["content"]["parts"]:  # sealed for a Gemini caller's SDK
        if "thoughtSignature" in part:
            part["thoughtSignature"] = unseal(part["thoughtSignature"])
    expected = json.loads(json.dumps(body))
    if "usageMetadata" in expected:  # the IR keeps what is billed, not Gemini's breakdown
        usage = msgspec.to_builtins(answer.usage)
        assert usage["input_tokens"] == 130
        del expected["usageMetadata"], again["usageMetadata"]
    else:
        del again["usageMetadata"]
    assert again == expected


# -- errors ---------------------------------------------------------------------------


def google_error(code: int, status: str, message: str = "m", **extra: Any) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "status": status, **extra}}).encode()


READ_ERRORS: list[tuple[int, bytes, Json]] = [
    (
        400,
        google_error(400, "INVALID_ARGUMENT", "bad"),
        {"status": 400, "kind": "invalid_request", "message": "bad", "param": None},
    ),
    (
        400,
        google_error(400, "FAILED_PRECONDITION"),
        {"status": 400, "kind": "invalid_request", "message": "m", "param": None},
    ),
    (
        401,
        google_error(401, "UNAUTHENTICATED"),
        {"status": 401, "kind": "authentication", "message": "m", "param": None},
    ),
    (
        403,
        google_error(403, "PERMISSION_DENIED"),
        {"status": 403, "kind": "permission", "message": "m", "param": None},
    ),
    (
        404,
        google_error(404, "NOT_FOUND"),
        {"status": 404, "kind": "not_found", "message": "m", "param": None},
    ),
    (
        429,
        google_error(429, "RESOURCE_EXHAUSTED"),
        {"status": 429, "kind": "rate_limit", "message": "m", "param": None},
    ),
    (500, google_error(500, "INTERNAL"), {"status": 500, "kind": "server", "message": "m", "param": None}),
    (
        503,
        google_error(503, "UNAVAILABLE"),
        {"status": 503, "kind": "overloaded", "message": "m", "param": None},
    ),
    (
        504,
        google_error(504, "DEADLINE_EXCEEDED"),
        {"status": 504, "kind": "timeout", "message": "m", "param": None},
    ),
    (
        400,
        google_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid value",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "contents[0].parts", "description": "x"}],
                }
            ],
        ),
        {"status": 400, "kind": "invalid_request", "message": "Invalid value", "param": "contents[0].parts"},
    ),
    (
        429,
        b"[" + google_error(429, "RESOURCE_EXHAUSTED", "quota") + b"]",
        {"status": 429, "kind": "rate_limit", "message": "quota", "param": None},
    ),
    (
        502,
        b"<html>Bad Gateway</html>",
        {"status": 502, "kind": "server", "message": "<html>Bad Gateway</html>", "param": None},
    ),
    (413, b"", {"status": 413, "kind": "too_large", "message": "HTTP 413", "param": None}),
    (
        400,
        b'{"error": {"details": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}}",
        {"status": 400, "kind": "invalid_request"},
    ),
    (
        418,
        b'{"error": "teapot"}',
        {"status": 418, "kind": "invalid_request", "message": '{"error": "teapot"}', "param": None},
    ),
]


@pytest.mark.parametrize(("status", "body", "expected"), READ_ERRORS)
def test_read_error(status: int, body: bytes, expected: Json) -> None:
    error = msgspec.to_builtins(CODEC.read_error(status, body))
    assert {key: error[key] for key in expected} == expected


WRITE_ERRORS: list[tuple[ir.Error, str]] = [
    (ir.Error(status=400, kind="invalid_request", message="m"), "INVALID_ARGUMENT"),
    (ir.Error(status=401, kind="authentication", message="m"), "UNAUTHENTICATED"),
    (ir.Error(status=403, kind="permission", message="m"), "PERMISSION_DENIED"),
    (ir.Error(status=404, kind="not_found", message="m"), "NOT_FOUND"),
    (ir.Error(status=413, kind="too_large", message="m"), "INVALID_ARGUMENT"),
    (ir.Error(status=429, kind="rate_limit", message="m"), "RESOURCE_EXHAUSTED"),
    (ir.Error(status=500, kind="server", message="m"), "INTERNAL"),
    (ir.Error(status=529, kind="overloaded", message="m"), "UNAVAILABLE"),
    (ir.Error(status=504, kind="timeout", message="m"), "DEADLINE_EXCEEDED"),
    (ir.Error(status=402, kind="billing", message="m"), "FAILED_PRECONDITION"),
]


@pytest.mark.parametrize(("error", "status_name"), WRITE_ERRORS)
def test_write_error(error: ir.Error, status_name: str) -> None:
    status, body = CODEC.write_error(error)
    assert status == error.status
    assert json.loads(body) == {"error": {"code": error.status, "message": "m", "status": status_name}}
    assert CODEC.read_error(status, body).kind == error.kind


def test_a_refusal_names_its_parameter_as_google_does() -> None:
    refusal = ir.Error(status=400, kind="invalid_request", message="No URLs.", param="messages[0].content[1]")
    status, body = CODEC.write_error(refusal)
    error = json.loads(body)["error"]
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert "messages[0].content[1]" in error["message"]
    assert error["details"][0]["fieldViolations"] == [
        {"field": "messages[0].content[1]", "description": "No URLs."}
    ]
    assert CODEC.read_error(status, body).param == "messages[0].content[1]"
