"""Anthropic's API: `x-api-key`, a base URL without /v1, SSE streams with named events."""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Usage


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


class _Message(msgspec.Struct):
    usage: _Usage | None = None


class _Body(msgspec.Struct):
    usage: _Usage | None = None
    message: _Message | None = None  # message_start wraps the message


# Only the usage fields are decoded: msgspec skips the rest unparsed.
_decode = msgspec.json.Decoder(_Body).decode
_encode = msgspec.json.Encoder().encode


class Anthropic(ProviderFormat):
    __slots__ = ()

    name = "anthropic"
    default_base_url = "https://api.anthropic.com"
    fallback_key_env = "ANTHROPIC_API_KEY"
    base_path = ""
    endpoints = (
        Endpoint(name="messages", path="/v1/messages", methods=POST, translatable=True),
        Endpoint(name="messages.count_tokens", path="/v1/messages/count_tokens", methods=POST),
        Endpoint(name="models", path="/v1/models", methods=GET, lists_models=True),
        Endpoint(name="models.retrieve", path="/v1/models/", methods=GET, takes_id=True),
    )
    serves = frozenset({"anthropic"})
    translatable = True
    framing = "sse"
    stream_content_type = b"text/event-stream"
    usage_marker = '"usage"'
    sdk_header = b"anthropic-version"
    path_prefixes = ("/v1/messages", "/v1/complete")
    model_id_member = "id"
    model_list_member = "data"

    def model_entry(self, name: str) -> dict[str, Any]:
        return {"type": "model", "id": name, "display_name": name, "created_at": "1970-01-01T00:00:00Z"}

    def credential_headers(self, api_key: str) -> tuple[tuple[str, str], ...]:
        return (("x-api-key", api_key),)

    def error_body(self, kind: ErrorKind, message: str, request_id: str) -> bytes:
        # As the real API answers, with the request id beside the error.
        return _encode(
            {
                "type": "error",
                "error": {"type": kind.types["anthropic"], "message": message},
                "request_id": request_id,
            }
        )

    def _fold_usage(self, body: bytes | str, into: Usage) -> None:
        # message_start carries the input side, message_delta the final output (and, lately, input).
        decoded = _decode(body)
        message = decoded.message
        usage = decoded.usage if decoded.usage is not None else (message.usage if message else None)
        if usage is None:
            return
        if usage.input_tokens is not None:
            cache_read = usage.cache_read_input_tokens or 0
            into.input_tokens = usage.input_tokens + cache_read + (usage.cache_creation_input_tokens or 0)
            into.cache_read_tokens = cache_read
        if usage.output_tokens is not None:
            into.output_tokens = usage.output_tokens


ANTHROPIC: Final = Anthropic()
