"""Responses API answers and errors: written for a Responses caller (checked with the openai
SDK's own types), read from a Responses provider, and written-then-read round trips."""

import json
from typing import Any

import openai
import pytest
from openai.types.responses import Response

from ingate_translate import BackendFormatError, ir
from ingate_translate.shapes.openai_responses import REDACTED_MARKER, OpenAIResponses
from tests.translate.support import CREATED, Json, assert_known_fields, dumps

CODEC = OpenAIResponses()
CONTEXT = ir.Context(model="claude-sonnet-4-5", created=CREATED)
USAGE = ir.Usage(
    input_tokens=120, output_tokens=40, cache_read_tokens=100, cache_write_tokens=8, reasoning_tokens=12
)


def written(response: ir.Response) -> tuple[Json, Response]:
    body = CODEC.write_response(response, CONTEXT)
    data: Json = json.loads(body)
    parsed = Response.model_validate(data)
    assert_known_fields(parsed)
    return data, parsed


def test_write_response_with_every_part() -> None:
    answer = ir.Response(
        id="msg_01XFD",
        model="claude-sonnet-4-5-20250929",
        parts=[
            ir.Thinking(text="The user wants weather.", signature="EqQBCgIYAhIM"),
            ir.RedactedThinking(data="EmwKAhgBEgy3va3pzix"),
            ir.Text(text="Checking."),
            ir.ToolCall(id="toolu_01", name="weather", arguments={"city": "Paris"}),
        ],
        stop="tool_calls",
        usage=USAGE,
    )
    data, parsed = written(answer)
    assert (parsed.id, parsed.object, parsed.created_at, parsed.model) == (
        "resp_01XFD",
        "response",
        CREATED,
        "claude-sonnet-4-5",
    )
    assert parsed.status == "completed" and parsed.incomplete_details is None and parsed.error is None
    assert parsed.output_text == "Checking."
    assert data["output"] == [
        {
            "type": "reasoning",
            "id": "rs_01XFD_0",
            "summary": [{"type": "summary_text", "text": "The user wants weather."}],
            "encrypted_content": "EqQBCgIYAhIM",
        },
        {
            "type": "reasoning",
            "id": "rs_01XFD_1",
            "summary": [],
            "encrypted_content": REDACTED_MARKER + "EmwKAhgBEgy3va3pzix",
        },
        {
            "type": "message",
            "id": "msg_01XFD_2",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Checking.", "annotations": [], "logprobs": []}],
        },
        {
            "type": "function_call",
            "id": "fc_01XFD_3",
            "status": "completed",
            "call_id": "toolu_01",
            "name": "weather",
            "arguments": '{"city":"Paris"}',
        },
    ]
    assert data["usage"] == {
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 8},
        "output_tokens": 40,
        "output_tokens_details": {"reasoning_tokens": 12},
        "total_tokens": 160,
    }


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [
        ("end", "completed", None),
        ("stop_sequence", "completed", None),
        ("tool_calls", "completed", None),
        ("pause", "completed", None),
        ("length", "incomplete", "max_output_tokens"),
        ("content_filter", "incomplete", "content_filter"),
    ],
)
def test_write_status(stop: ir.StopReason, status: str, reason: str | None) -> None:
    data, parsed = written(ir.Response(id="chatcmpl-9", model="x", parts=[ir.Text(text="a")], stop=stop))
    assert parsed.id == "resp_9" and data["output"][0]["id"] == "msg_9_0"
    assert parsed.status == status
    assert (parsed.incomplete_details.reason if parsed.incomplete_details else None) == reason
    assert data["output"][0]["status"] == ("incomplete" if reason else "completed")


def test_write_empty_answer() -> None:
    data, parsed = written(ir.Response(id="gemini-id", model="x"))
    assert parsed.id == "resp_gemini-id" and parsed.output == [] and parsed.output_text == ""
    assert data["usage"]["total_tokens"] == 0


# -- reading a Responses provider's answers ----------------------------------------------

OPENAI_RESPONSE: Json = {
    "id": "resp_68af",
    "object": "response",
    "created_at": 1756315696,
    "status": "completed",
    "background": False,
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-5-2025-08-07",
    "output": [
        {
            "id": "rs_68af1",
            "type": "reasoning",
            "encrypted_content": "gAAAAABor_8y",
            "summary": [
                {"type": "summary_text", "text": "**Planning**"},
                {"type": "summary_text", "text": "Call the tool."},
            ],
        },
        {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"type": "search"}},
        {
            "id": "msg_68af2",
            "type": "message",
            "status": "completed",
            "content": [
                {
                    "type": "output_text",
                    "annotations": [{"type": "url_citation", "url": "https://x.test"}],
                    "logprobs": [],
                    "text": "Let me check.",
                }
            ],
            "role": "assistant",
        },
        {
            "id": "fc_68af3",
            "type": "function_call",
            "status": "completed",
            "arguments": '{"city": "Paris"}',
            "call_id": "call_abc",
            "name": "weather",
        },
    ],
    "parallel_tool_calls": True,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": False,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}, "verbosity": "medium"},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": {
        "input_tokens": 75,
        "input_tokens_details": {"cached_tokens": 64},
        "output_tokens": 150,
        "output_tokens_details": {"reasoning_tokens": 128},
        "total_tokens": 225,
    },
    "user": None,
    "metadata": {},
}


def test_read_response() -> None:
    assert CODEC.read_response(dumps(OPENAI_RESPONSE)) == ir.Response(
        id="resp_68af",
        model="gpt-5-2025-08-07",
        parts=[
            ir.Thinking(text="**Planning**\n\nCall the tool.", signature="gAAAAABor_8y"),
            ir.Text(text="Let me check."),
            ir.ToolCall(id="call_abc", name="weather", arguments={"city": "Paris"}),
        ],
        stop="tool_calls",
        usage=ir.Usage(input_tokens=75, output_tokens=150, cache_read_tokens=64, reasoning_tokens=128),
        created=1756315696,
    )


def variant(**changes: Any) -> bytes:
    return dumps({**OPENAI_RESPONSE, **changes})


@pytest.mark.parametrize(
    ("body", "stop"),
    [
        (variant(output=[]), "end"),
        (variant(status="incomplete", incomplete_details={"reason": "max_output_tokens"}), "length"),
        (variant(status="incomplete", incomplete_details={"reason": "content_filter"}), "content_filter"),
        (
            variant(
                output=[
                    {
                        "type": "message",
                        "id": "m",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "refusal", "refusal": "I can't help with that."}],
                    }
                ]
            ),
            "content_filter",
        ),
    ],
)
def test_read_stop(body: bytes, stop: ir.StopReason) -> None:
    assert CODEC.read_response(body).stop == stop


def test_read_refusal_text_and_reasoning_content() -> None:
    output = [
        {
            "type": "reasoning",
            "id": "rs",
            "summary": [],
            "content": [{"type": "reasoning_text", "text": "raw"}],
        },
        {
            "type": "message",
            "id": "m",
            "role": "assistant",
            "content": [{"type": "refusal", "refusal": "No."}],
        },
    ]
    answer = CODEC.read_response(variant(output=output, usage=None))
    assert answer.parts == [ir.Thinking(text="raw"), ir.Text(text="No.")]
    assert answer.usage == ir.Usage()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        dumps({"output": "nope"}),
        dumps([1]),
        variant(output=[{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]),
        variant(output=[{"type": "function_call", "name": "f", "arguments": "{}"}]),
        variant(status="failed", error={"code": "server_error", "message": "boom"}),
    ],
)
def test_read_response_not_in_format(body: bytes) -> None:
    with pytest.raises(BackendFormatError):
        CODEC.read_response(body)


ROUND_TRIPS = [
    ir.Response(
        id="resp_abc",
        model="m",
        parts=[
            ir.Thinking(text="t", signature="s" * 300),
            ir.Thinking(signature="signature-only"),
            ir.RedactedThinking(data="EmwKAhgBEgy3va3pzix"),
            ir.Text(text="hello"),
            ir.Text(text="again"),
            ir.ToolCall(id="c1", name="f", arguments={"a": {"b": [1, None]}}),
        ],
        stop="tool_calls",
        usage=USAGE,
        created=CREATED,
    ),
    ir.Response(id="resp_x", model="m", parts=[ir.Text(text="cut")], stop="length", created=CREATED),
]


@pytest.mark.parametrize("answer", ROUND_TRIPS)
def test_write_then_read_recovers_the_answer(answer: ir.Response) -> None:
    context = ir.Context(model=answer.model, created=answer.created)
    assert CODEC.read_response(CODEC.write_response(answer, context)) == answer


def test_signatures_survive_a_caller_byte_for_byte() -> None:
    """Reasoning the caller got back, sent again as input, restores the exact parts."""
    parts: list[ir.Part] = [
        ir.Thinking(text="why", signature="Eq\u00e9+/=="),
        ir.RedactedThinking(data="R+/=="),
    ]
    data, _ = written(ir.Response(id="msg_1", model="m", parts=parts))
    request = CODEC.read_request(dumps({"model": "m", "input": data["output"]}), ir.Hints())
    assert request.messages == [ir.Message(role="assistant", parts=parts)]


# -- errors: OpenAI's envelope, as for chat -------------------------------------------------

ERRORS: list[tuple[ir.Error, str, type[openai.APIStatusError]]] = [
    (
        ir.Error(status=400, kind="invalid_request", message="bad", param="tools[0]"),
        "invalid_request_error",
        openai.BadRequestError,
    ),
    (
        ir.Error(status=401, kind="authentication", message="key", code="authentication_error"),
        "invalid_request_error",
        openai.AuthenticationError,
    ),
    (
        ir.Error(status=403, kind="permission", message="no"),
        "invalid_request_error",
        openai.PermissionDeniedError,
    ),
    (ir.Error(status=404, kind="not_found", message="model"), "invalid_request_error", openai.NotFoundError),
    (ir.Error(status=429, kind="rate_limit", message="slow"), "rate_limit_exceeded", openai.RateLimitError),
    (
        ir.Error(status=529, kind="overloaded", message="busy", code="overloaded_error"),
        "server_error",
        openai.InternalServerError,
    ),
    (ir.Error(status=500, kind="server", message="oops"), "server_error", openai.InternalServerError),
]


@pytest.mark.parametrize(("error", "kind", "_exception"), ERRORS)
def test_write_error(error: ir.Error, kind: str, _exception: type[openai.APIStatusError]) -> None:
    status, body = CODEC.write_error(error)
    assert status == error.status
    assert json.loads(body) == {
        "error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}
    }


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (
            400,
            {"error": {"message": "m", "type": "invalid_request_error", "param": "x"}},
            "invalid_request",
            "invalid_request_error",
        ),
        (
            401,
            {"error": {"message": "m", "type": "invalid_request_error", "code": "invalid_api_key"}},
            "authentication",
            "invalid_request_error",
        ),
        (402, {"error": {"message": "m"}}, "billing", None),
        (403, {"error": {"message": "m"}}, "permission", None),
        (404, {"error": {"message": "m"}}, "not_found", None),
        (413, {"error": {"message": "m"}}, "too_large", None),
        (422, {"error": {"message": "m"}}, "invalid_request", None),
        (429, {"error": {"message": "m", "type": "requests"}}, "rate_limit", "requests"),
        (500, {"error": {"message": "m", "type": "server_error"}}, "server", "server_error"),
        (503, {"error": {"message": "m"}}, "overloaded", None),
        (504, {"error": {"message": "m"}}, "timeout", None),
    ],
)
def test_read_error(status: int, body: Json, kind: str, code: str | None) -> None:
    error = CODEC.read_error(status, dumps(body))
    assert (error.status, error.kind, error.message, error.code) == (status, kind, "m", code)


def test_read_error_that_is_not_json() -> None:
    error = CODEC.read_error(502, b"<html>Bad gateway</html>")
    assert (error.kind, error.message) == ("server", "<html>Bad gateway</html>")
