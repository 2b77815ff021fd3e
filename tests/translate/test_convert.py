"""The shared converters, checked in both directions."""

import pytest

from ingate_translate import TranslationError, ir
from ingate_translate import convert as c


@pytest.mark.parametrize(
    ("status", "kind", "openai_type"),
    [
        (400, "invalid_request", "invalid_request_error"),
        (401, "authentication", "invalid_request_error"),
        (402, "billing", "invalid_request_error"),
        (403, "permission", "invalid_request_error"),
        (404, "not_found", "invalid_request_error"),
        (409, "invalid_request", "invalid_request_error"),
        (413, "too_large", "invalid_request_error"),
        (429, "rate_limit", "rate_limit_exceeded"),
        (500, "server", "server_error"),
        (502, "server", "server_error"),
        (503, "overloaded", "server_error"),
        (504, "timeout", "server_error"),
        (529, "overloaded", "server_error"),
    ],
)
def test_error_kinds_and_types_by_status(status: int, kind: str, openai_type: str) -> None:
    assert c.error_kind(status) == kind
    assert c.openai_error_type(status) == openai_type


@pytest.mark.parametrize("name", sorted(c.ANTHROPIC_KINDS))
def test_anthropic_error_types_and_kinds_invert_each_other(name: str) -> None:
    assert c.ANTHROPIC_TYPES[c.ANTHROPIC_KINDS[name]] == name
    assert c.error_kind(c.status_for_anthropic_error(name)) == c.ANTHROPIC_KINDS[name]


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


def test_compact_json() -> None:
    assert c.compact_json({"a": [1, {"b": "é"}]}) == '{"a":[1,{"b":"é"}]}'


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", ir.Image(media_type="image/png", data="iVBORw0KGgo=")),
        ("data:IMAGE/JPG;charset=x;base64,/9j/", ir.Image(media_type="image/jpeg", data="/9j/")),
        ("https://example.com/a.gif", ir.Image(url="https://example.com/a.gif")),
    ],
)
def test_image_urls(url: str, expected: ir.Image) -> None:
    assert c.image_from_url(url, "p") == expected


@pytest.mark.parametrize("url", ["ftp://x/a.png", "data:image/png,abc", "data:image/svg+xml;base64,PHN2Zz4="])
def test_unusable_image_urls_are_refused(url: str) -> None:
    with pytest.raises(TranslationError) as raised:
        c.image_from_url(url, "messages[0].content[1].image_url")
    assert raised.value.param == "messages[0].content[1].image_url"


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
