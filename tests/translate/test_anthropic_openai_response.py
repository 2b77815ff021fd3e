"""OpenAI chat completions and errors → Anthropic messages and error bodies."""

import json

import anthropic
import pytest
from anthropic.types import Message

from ingate_translate import BackendFormatError
from ingate_translate.shapes.openai_chat import RAW_ARGUMENTS_KEY
from tests.translate.support import Gateway, Json, Pair, Reply, assert_known_fields, dumps

PAIR = Pair("anthropic-messages", "openai-chat")
REQUEST: Json = {"model": "gpt-4o", "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]}
CONTEXT = PAIR.request(dumps(REQUEST)).context
MODEL = "gpt-4o-2024-08-06"


def completion(message: Json, finish: str | None = "stop", usage: Json | None = None) -> Json:
    counts = usage or {
        "prompt_tokens": 19,
        "completion_tokens": 10,
        "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    }
    choice = {
        "index": 0,
        "message": {"role": "assistant", "refusal": None, "annotations": [], **message},
        "logprobs": None,
        "finish_reason": finish,
    }
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": MODEL,
        "choices": [choice],
        "usage": counts,
        "service_tier": "default",
        "system_fingerprint": "fp_44709d6fcb",
    }


def call(call_id: str, name: str, arguments: str) -> Json:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def translate(body: Json) -> Json:
    out = PAIR.response(CONTEXT, dumps(body))
    assert_known_fields(Message.model_validate_json(out))
    result: Json = json.loads(out)
    return result


def test_text_completion_exact_output() -> None:
    assert translate(completion({"content": "Hello!"})) == {
        "id": "msg_B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "Hello!"}],
        "model": MODEL,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 19,
            "output_tokens": 10,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def test_tool_calls_become_tool_use_blocks() -> None:
    body = completion(
        {
            "content": "Checking.",
            "tool_calls": [
                call("call_1", "get_weather", '{"city": "Paris"}'),
                call("call_2", "get_time", ""),
                call("call_3", "broken", '{"city": '),
                call("call_4", "listy", "[1]"),
            ],
        },
        finish="tool_calls",
    )
    message = translate(body)
    assert message["stop_reason"] == "tool_use"
    assert message["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
        {"type": "tool_use", "id": "call_3", "name": "broken", "input": {RAW_ARGUMENTS_KEY: '{"city": '}},
        {"type": "tool_use", "id": "call_4", "name": "listy", "input": {RAW_ARGUMENTS_KEY: "[1]"}},
    ]


def test_null_content_with_tool_calls_and_a_stop_finish() -> None:
    message = translate(
        completion({"content": None, "tool_calls": [call("call_1", "f", "{}")]}, finish="stop")
    )
    assert message["content"] == [{"type": "tool_use", "id": "call_1", "name": "f", "input": {}}]
    assert message["stop_reason"] == "tool_use"


def test_refusal_becomes_text_with_refusal_stop() -> None:
    message = translate(completion({"content": None, "refusal": "I can't help with that."}))
    assert message["content"] == [{"type": "text", "text": "I can't help with that."}]
    assert message["stop_reason"] == "refusal"


@pytest.mark.parametrize(
    ("finish", "stop"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        ("function_call", "tool_use"),
        (None, "end_turn"),
    ],
)
def test_finish_reasons(finish: str | None, stop: str) -> None:
    assert translate(completion({"content": "x"}, finish=finish))["stop_reason"] == stop


def test_usage_separates_cached_tokens() -> None:
    usage = {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920, "cache_write_tokens": 50},
    }
    assert translate(completion({"content": "x"}, usage=usage))["usage"] == {
        "input_tokens": 36,
        "output_tokens": 300,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 1920,
    }


def test_minimal_compatible_server_response() -> None:
    body = {
        "id": "chatcmpl-1",
        "choices": [{"message": {"content": "ok"}}],
    }  # no usage, model or finish_reason
    message = translate(body)
    assert (message["model"], message["stop_reason"], message["content"]) == (
        "gpt-4o",
        "end_turn",
        [{"type": "text", "text": "ok"}],
    )
    # A server that reports no usage: zero counts, the cache ones included, as Anthropic sends them.
    zero = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    assert message["usage"] == zero


def test_no_choices_gives_an_empty_message() -> None:
    assert translate({**completion({"content": "x"}), "choices": []})["content"] == []


@pytest.mark.parametrize("body", [b"not json", b'{"choices": {}}', b""])
def test_unreadable_response_raises_backend_format_error(body: bytes) -> None:
    with pytest.raises(BackendFormatError):
        PAIR.response(CONTEXT, body)


def openai_error(message: str, kind: str, code: str | None) -> bytes:
    return dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


ERRORS = [
    (400, "invalid_request_error", anthropic.BadRequestError),
    (401, "authentication_error", anthropic.AuthenticationError),
    (403, "permission_error", anthropic.PermissionDeniedError),
    (404, "not_found_error", anthropic.NotFoundError),
    (413, "request_too_large", anthropic.APIStatusError),
    (429, "rate_limit_error", anthropic.RateLimitError),
    (500, "api_error", anthropic.InternalServerError),
    (502, "api_error", anthropic.APIStatusError),
    (503, "overloaded_error", anthropic.APIStatusError),
    (529, "overloaded_error", anthropic.APIStatusError),
]


@pytest.mark.parametrize(("status", "kind", "exception"), ERRORS)
def test_errors_keep_status_and_raise_the_matching_sdk_exception(
    status: int, kind: str, exception: type[anthropic.APIStatusError]
) -> None:
    body = openai_error("Something went wrong", "invalid_request_error", "some_code")
    got_status, got = PAIR.error(CONTEXT, status, body)
    assert got_status == status
    expected = {"type": "error", "error": {"type": kind, "message": "Something went wrong"}}
    assert json.loads(got) == expected
    client = Gateway(PAIR, lambda _: Reply(status=status, body=body)).anthropic()
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(**REQUEST)
    assert isinstance(raised.value, exception) and raised.value.status_code == status
    assert raised.value.body == expected


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (502, b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (500, b"", "The backend answered with HTTP status 500."),
        (422, b'{"detail": [{"msg": "field required"}]}', '{"detail":[{"msg":"field required"}]}'),
        (400, b'{"error": "model not loaded"}', "model not loaded"),
        (404, b'{"message": "no such model"}', "no such model"),
    ],
)
def test_non_standard_error_bodies_still_make_a_valid_body(status: int, body: bytes, message: str) -> None:
    got_status, got = PAIR.error(CONTEXT, status, body)
    assert got_status == status
    assert json.loads(got)["error"]["message"] == message
