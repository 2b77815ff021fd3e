"""The shared converters, checked in both directions."""

import pytest

from ingate_translate import TranslationError
from ingate_translate import convert as c
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa


@pytest.mark.parametrize("finish", ["stop", "length", "tool_calls", "content_filter"])
def test_finish_reasons_round_trip(finish: str) -> None:
    assert c.finish_reason(c.stop_reason(finish, has_tool_calls=finish == "tool_calls")) == finish


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "cache_read", "cache_creation"),
    [(10, 5, 0, 0), (5, 9, 100, 20), (0, 0, 0, 0)],
)
def test_usage_round_trips(
    input_tokens: int, output_tokens: int, cache_read: int, cache_creation: int
) -> None:
    usage = c.openai_usage(input_tokens, output_tokens, cache_read, cache_creation)
    assert usage.total_tokens == input_tokens + cache_read + cache_creation + output_tokens
    back = c.anthropic_usage(usage)
    assert (back.input_tokens, back.output_tokens) == (input_tokens, output_tokens)
    assert (back.cache_read_input_tokens, back.cache_creation_input_tokens) == (cache_read, cache_creation)


def test_usage_without_details() -> None:
    usage = c.anthropic_usage(oa.Usage(prompt_tokens=7, completion_tokens=2, total_tokens=9))
    assert (usage.input_tokens, usage.cache_read_input_tokens) == (7, 0)


@pytest.mark.parametrize(
    ("status", "anthropic_type", "openai_type"),
    [
        (400, "invalid_request_error", "invalid_request_error"),
        (401, "authentication_error", "invalid_request_error"),
        (402, "billing_error", "invalid_request_error"),
        (403, "permission_error", "invalid_request_error"),
        (404, "not_found_error", "invalid_request_error"),
        (409, "invalid_request_error", "invalid_request_error"),
        (413, "request_too_large", "invalid_request_error"),
        (429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "api_error", "server_error"),
        (502, "api_error", "server_error"),
        (503, "overloaded_error", "server_error"),
        (504, "timeout_error", "server_error"),
        (529, "overloaded_error", "server_error"),
    ],
)
def test_error_types_by_status(status: int, anthropic_type: str, openai_type: str) -> None:
    assert c.anthropic_error_type(status) == anthropic_type
    assert c.openai_error_type(status) == openai_type


@pytest.mark.parametrize(
    "kind", ["invalid_request_error", "rate_limit_error", "overloaded_error", "api_error"]
)
def test_anthropic_error_statuses_invert_the_table(kind: str) -> None:
    assert c.anthropic_error_type(c.status_for_anthropic_error(kind)) == kind


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("server_error", None, "api_error"),
        ("invalid_request_error", None, "invalid_request_error"),
        ("requests", "rate_limit_exceeded", "rate_limit_error"),
        ("insufficient_quota", None, "rate_limit_error"),
        (None, 500, "api_error"),
    ],
)
def test_stream_error_types(kind: str | None, code: object, expected: str) -> None:
    assert c.anthropic_error_type_for_openai(kind, code) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", {}), ("  ", {}), ('{"a": [1]}', {"a": [1]}), ("[1]", None), ('{"a": ', None), ("null", None)],
)
def test_parse_arguments(text: str, expected: object) -> None:
    assert c.parse_arguments(text) == expected


def test_compact_json_and_ids() -> None:
    assert c.compact_json({"a": [1, {"b": "é"}]}) == '{"a":[1,{"b":"é"}]}'
    assert c.chat_completion_id("msg_01Abc") == "chatcmpl-01Abc"
    assert c.message_id("chatcmpl-Abc") == "msg_Abc"
    assert c.message_id(c.chat_completion_id("msg_X")) == "msg_X"


@pytest.mark.parametrize(
    "url",
    ["data:image/png;base64,iVBORw0KGgo=", "data:image/webp;base64,UklGRg==", "https://example.com/a.gif"],
)
def test_images_round_trip(url: str) -> None:
    assert c.image_to_openai(c.image_to_anthropic(url, "p"), "p").image_url.url == url


def test_image_media_type_is_normalized() -> None:
    block = c.image_to_anthropic("data:IMAGE/JPG;charset=x;base64,/9j/", "p")
    assert block.source == an.Base64Source(media_type="image/jpeg", data="/9j/")


@pytest.mark.parametrize(
    "choice",
    ["auto", "required", "none", oa.ToolChoiceFunction(function=oa.NamedFunction(name="f"))],
)
@pytest.mark.parametrize("parallel", [None, False])
def test_tool_choice_round_trips(choice: oa.ToolChoice, parallel: bool | None) -> None:
    anthropic_choice = c.tool_choice_to_anthropic(choice, parallel)
    back, back_parallel = c.tool_choice_to_openai(anthropic_choice)
    assert back == choice
    assert back_parallel == (parallel if choice != "none" else None)


def test_no_tool_choice_stays_unset() -> None:
    assert c.tool_choice_to_anthropic(None, None) is None
    assert c.tool_choice_to_openai(None) == (None, None)


def test_tool_definitions_round_trip() -> None:
    tool = oa.FunctionTool(oa.FunctionDefinition(name="f", description="d", parameters={"type": "object"}))
    assert c.tool_to_openai(c.tool_to_anthropic(tool), "p") == tool
    with pytest.raises(TranslationError) as raised:
        c.tool_to_openai(an.Tool(name="bash", type="bash_20250124"), "tools[3]")
    assert raised.value.param == "tools[3]"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"type": "error", "error": {"type": "not_found_error", "message": "no"}}',
            ("not_found_error", "no"),
        ),
        (
            b'{"error": {"message": "bad", "type": "invalid_request_error", "code": null}}',
            ("invalid_request_error", "bad"),
        ),
        (b'{"error": {"code": 5}}', (None, '{"error":{"code":5}}')),
        (b"plain text\n", (None, "plain text")),
        (b"\xff\xfe", (None, "\ufffd\ufffd")),
    ],
)
def test_error_details(body: bytes, expected: tuple[str | None, str]) -> None:
    assert c.error_details(body) == expected
