"""Pure converters the shapes share: JSON and tool arguments, request decoding, error kinds
and envelopes, image URLs. None of them reads a clock or keeps state.
"""

import re
from typing import Any, TypeVar

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.schemas import openai as oa

T = TypeVar("T")

# -- JSON and ids ------------------------------------------------------------

_encode = msgspec.json.Encoder().encode
_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


def compact_json(value: object) -> str:
    """JSON with no insignificant whitespace, as OpenAI sends tool arguments."""
    return _encode(value).decode()


def parse_arguments(text: str) -> dict[str, object] | None:
    """Tool-call arguments as an object; "" counts as {}; None if not a JSON object."""
    if not text.strip():
        return {}
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, dict) else None


def decode_client_body(body: bytes, kind: type[T]) -> T:
    """Decode a client request, turning any decoding problem into a TranslationError naming the field."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        found = _PATH.search(str(exc))
        param = found.group("path") if found else None
        raise TranslationError(f"Invalid request body: {exc}", param=param or None) from exc
    except msgspec.DecodeError as exc:
        raise TranslationError(f"The request body is not valid JSON: {exc}") from exc


# -- usage -------------------------------------------------------------------


def token_count(value: int | msgspec.UnsetType | None) -> int:
    return value if isinstance(value, int) else 0


# -- errors ------------------------------------------------------------------

ANTHROPIC_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ANTHROPIC_ERROR_STATUSES: dict[str, int] = {
    **{kind: status for status, kind in ANTHROPIC_ERROR_TYPES.items() if status != 503},
    "api_error": 500,
}
_OPENAI_RATE_LIMIT_TYPES = frozenset({"rate_limit_exceeded", "requests", "tokens", "insufficient_quota"})


def status_for_anthropic_error(kind: str) -> int:
    """The HTTP status Anthropic uses for an error type (unknown types count as api_error, 500)."""
    return ANTHROPIC_ERROR_STATUSES.get(kind, 500)


_KINDS_BY_STATUS: dict[int, ir.ErrorKind] = {
    400: "invalid_request",
    401: "authentication",
    402: "billing",
    403: "permission",
    404: "not_found",
    413: "too_large",
    429: "rate_limit",
    503: "overloaded",
    504: "timeout",
    529: "overloaded",
}
ANTHROPIC_KINDS: dict[str, ir.ErrorKind] = {
    "invalid_request_error": "invalid_request",
    "authentication_error": "authentication",
    "billing_error": "billing",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "request_too_large": "too_large",
    "rate_limit_error": "rate_limit",
    "overloaded_error": "overloaded",
    "timeout_error": "timeout",
    "api_error": "server",
}
ANTHROPIC_TYPES: dict[ir.ErrorKind, str] = {kind: name for name, kind in ANTHROPIC_KINDS.items()}


def error_kind(status: int) -> ir.ErrorKind:
    """What an HTTP error status means (other 4xx: invalid_request, 5xx: server)."""
    if status in _KINDS_BY_STATUS:
        return _KINDS_BY_STATUS[status]
    return "server" if status >= 500 else "invalid_request"


def openai_error_type(status: int) -> str:
    """The OpenAI error type for an HTTP status: what OpenAI itself sends for each class."""
    if status >= 500:
        return "server_error"
    return "rate_limit_exceeded" if status == 429 else "invalid_request_error"


def anthropic_error_type_for_openai(kind: str | None, code: object = None) -> str:
    """For stream errors, which carry no status: an OpenAI error type/code → an Anthropic type."""
    names = {kind, code if isinstance(code, str) else None}
    if names & _OPENAI_RATE_LIMIT_TYPES:
        return "rate_limit_error"
    if "invalid_request_error" in names:
        return "invalid_request_error"
    return "api_error"


def openai_error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> bytes:
    """`{"error": {"message", "type", "param", "code"}}`, as OpenAI sends errors."""
    return _encode(oa.ErrorBody(oa.ErrorDetail(message=message, type=kind, param=param, code=code)))


def error_details(body: bytes) -> tuple[str | None, str]:
    """(type, message) from either provider's error body, or from whatever text came instead."""
    try:
        value: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        value = None
    kind: str | None = None
    message: object = None
    if isinstance(value, dict):
        error = value.get("error")
        if isinstance(error, dict):
            kind = error.get("type") if isinstance(error.get("type"), str) else None
            message = error.get("message")
        else:
            message = error if isinstance(error, str) else value.get("message", value.get("detail"))
    if not isinstance(message, str) or not message:
        message = body.decode(errors="replace").strip()[:2000] if value is None else compact_json(value)
    return kind, message


# -- images ------------------------------------------------------------------

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_DATA_URL = re.compile(r"^data:(?P<media>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.DOTALL)


def image_from_url(url: str, param: str) -> ir.Image:
    """An image URL as a caller gives one (http(s), or a base64 data URL of a type every
    provider takes) as an IR image; anything else is refused naming `param`."""
    if url.startswith(("http://", "https://")):
        return ir.Image(url=url)
    found = _DATA_URL.match(url)
    if found is None:
        raise TranslationError("Image URLs must be http(s) URLs or base64 data URLs.", param=param)
    media = found.group("media").lower().replace("image/jpg", "image/jpeg")
    if ";base64" not in found.group("params").lower():
        raise TranslationError("Image data URLs must be base64-encoded.", param=param)
    if media not in IMAGE_MEDIA_TYPES:
        allowed = ", ".join(sorted(IMAGE_MEDIA_TYPES))
        raise TranslationError(f"Unsupported image type {media!r}; the backend takes {allowed}.", param)
    return ir.Image(media_type=media, data=found.group("data"))
