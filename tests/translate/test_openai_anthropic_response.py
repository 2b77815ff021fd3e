"""Anthropic messages and errors → OpenAI chat completions and error envelopes."""

import json

import openai
import pytest
from openai.types.chat import ChatCompletion

from ingate_translate import BackendFormatError
from tests.translate.support import CREATED, Gateway, Json, Pair, Reply, assert_known_fields, dumps

PAIR = Pair("openai-chat", "anthropic-messages")
MODEL = "claude-sonnet-4-5-20250929"
CONTEXT = PAIR.request(
    dumps({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}), created=CREATED
).context


def message(*content: Json, stop: str | None = "end_turn", **usage: int) -> Json:
    counts = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": list(content),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": counts | usage,
    }


def text(value: str) -> Json:
    return {"type": "text", "text": value}


def tool_use(tool_id: str, name: str, tool_input: Json) -> Json:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def translate(body: Json) -> Json:
    out = PAIR.response(CONTEXT, dumps(body))
    assert_known_fields(ChatCompletion.model_validate_json(out))
    result: Json = json.loads(out)
    return result


def test_text_message_exact_output() -> None:
    assert translate(message(text("Hello!"))) == {
        "id": "chatcmpl-013Zva2CMHLNnXjNJJKqJ2EF",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def test_text_thinking_and_tool_use() -> None:
    thinking = {"type": "thinking", "thinking": "Use the tool.", "signature": "EqQBCgIYAh"}
    body = message(
        thinking,
        text("Let me check."),
        tool_use("toolu_01A09q90qw90lq917835lq9", "get_weather", {"city": "Paris", "days": [1, 2]}),
        tool_use("toolu_02", "get_time", {}),
        stop="tool_use",
    )
    choice = translate(body)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    # Thinking is translated (it was left out before the thinking extension of chat messages).
    assert choice["message"] == {
        "role": "assistant",
        "content": "Let me check.",
        "refusal": None,
        "reasoning_content": "Use the tool.",
        "thinking_blocks": [thinking],
        "tool_calls": [
            {
                "id": "toolu_01A09q90qw90lq917835lq9",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris","days":[1,2]}'},
            },
            {"id": "toolu_02", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
        ],
    }


def test_only_tool_calls_means_null_content() -> None:
    choice = translate(message(tool_use("toolu_1", "f", {"a": 1}), stop="tool_use"))["choices"][0]
    assert choice["message"]["content"] is None and len(choice["message"]["tool_calls"]) == 1


def test_text_blocks_join_server_blocks_are_not_shown_and_redacted_thinking_is_kept() -> None:
    server_tool = {
        "type": "server_tool_use",
        "id": "srvtoolu_1",
        "name": "web_search",
        "input": {"query": "x"},
    }
    body = message(
        text("The answer "), server_tool, {"type": "redacted_thinking", "data": "abc"}, text("is 42.")
    )
    assert translate(body)["choices"][0]["message"] == {
        "role": "assistant",
        "content": "The answer is 42.",
        "refusal": None,
        "reasoning_content": "",
        "thinking_blocks": [{"type": "redacted_thinking", "data": "abc"}],
    }


def test_empty_message_has_empty_content() -> None:
    assert translate(message())["choices"][0]["message"]["content"] == ""


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("model_context_window_exceeded", "length"),
        (None, "stop"),
    ],
)
def test_stop_reasons(stop: str | None, finish: str) -> None:
    assert translate(message(text("x"), stop=stop))["choices"][0]["finish_reason"] == finish


def test_usage_counts_cached_input_as_prompt_tokens() -> None:
    usage = translate(
        message(text("x"), input_tokens=5, cache_read_input_tokens=100, cache_creation_input_tokens=20)
    )
    assert usage["usage"] == {
        "prompt_tokens": 125,
        "completion_tokens": 5,
        "total_tokens": 130,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 20},
    }


def test_usage_without_cache_fields() -> None:
    body = message(text("x"))
    body["usage"] = {"input_tokens": 3, "output_tokens": 4}
    assert translate(body)["usage"]["prompt_tokens"] == 3


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"content": "not a list"}', b""])
def test_unreadable_response_raises_backend_format_error(body: bytes) -> None:
    with pytest.raises(BackendFormatError):
        PAIR.response(CONTEXT, body)


def anthropic_error(kind: str, text: str) -> bytes:
    return dumps(
        {
            "type": "error",
            "error": {"type": kind, "message": text},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
        }
    )


ERRORS = [
    (400, "invalid_request_error", "invalid_request_error", openai.BadRequestError),
    (401, "authentication_error", "invalid_request_error", openai.AuthenticationError),
    (403, "permission_error", "invalid_request_error", openai.PermissionDeniedError),
    (404, "not_found_error", "invalid_request_error", openai.NotFoundError),
    (413, "request_too_large", "invalid_request_error", openai.APIStatusError),
    (429, "rate_limit_error", "rate_limit_exceeded", openai.RateLimitError),
    (500, "api_error", "server_error", openai.InternalServerError),
    (529, "overloaded_error", "server_error", openai.InternalServerError),
]


@pytest.mark.parametrize(("status", "anthropic_type", "openai_type", "exception"), ERRORS)
def test_errors_keep_status_and_raise_the_matching_sdk_exception(
    status: int, anthropic_type: str, openai_type: str, exception: type[openai.APIStatusError]
) -> None:
    body = anthropic_error(anthropic_type, f"{anthropic_type} happened")
    got_status, got = PAIR.error(CONTEXT, status, body)
    assert got_status == status
    detail = {
        "message": f"{anthropic_type} happened",
        "type": openai_type,
        "param": None,
        "code": anthropic_type,
    }
    assert json.loads(got) == {"error": detail}
    client = Gateway(PAIR, lambda _: Reply(status=status, body=body)).openai()
    with pytest.raises(exception) as raised:
        client.chat.completions.create(
            model="claude-sonnet-4-5", messages=[{"role": "user", "content": "Hi"}]
        )
    assert type(raised.value) is exception
    assert raised.value.status_code == status
    assert raised.value.code == anthropic_type and raised.value.type == openai_type
    assert f"{anthropic_type} happened" in raised.value.message


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (502, b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (503, b"", "The backend answered with HTTP status 503."),
        (400, b'{"error": "plain string"}', "plain string"),
        (500, b'{"detail": "oops"}', "oops"),
        (500, b'{"unexpected": true}', '{"unexpected":true}'),
    ],
)
def test_non_standard_error_bodies_still_make_a_valid_envelope(
    status: int, body: bytes, message: str
) -> None:
    got_status, got = PAIR.error(CONTEXT, status, body)
    assert got_status == status
    expected_type = "server_error" if status >= 500 else "invalid_request_error"
    assert json.loads(got) == {
        "error": {"message": message, "type": expected_type, "param": None, "code": None}
    }
