"""Anthropic's API: `x-api-key`, a base URL without /v1, SSE streams with named events."""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Reported, Usage


class _CacheCreation(msgspec.Struct):
    ephemeral_5m_input_tokens: int | None = None
    ephemeral_1h_input_tokens: int | None = None


class _Usage(msgspec.Struct):
    # Uncached input only: the cache reads and writes are counted beside it.
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None  # all cache writes, both durations
    cache_creation: _CacheCreation | None = None  # the writes by duration


class _Message(msgspec.Struct):
    usage: _Usage | None = None


class _Body(msgspec.Struct):
    usage: _Usage | None = None
    message: _Message | None = None  # message_start wraps the message


class _Delta(msgspec.Struct):
    text: str | None = None  # text_delta
    partial_json: str | None = None  # input_json_delta (tool arguments)
    thinking: str | None = None  # thinking_delta


class _Event(msgspec.Struct):
    delta: _Delta | None = None


# Only the usage fields are decoded: msgspec skips the rest unparsed.
_decode = msgspec.json.Decoder(_Body).decode
_decode_event = msgspec.json.Decoder(_Event).decode
_encode = msgspec.json.Encoder().encode


class Anthropic(ProviderFormat):
    __slots__ = ()

    name = "anthropic"
    default_base_url = "https://api.anthropic.com"
    fallback_key_env = "ANTHROPIC_API_KEY"
    base_path = ""
    endpoints = (
        Endpoint(name="messages", path="/v1/messages", methods=POST, shape="anthropic-messages"),
        Endpoint(name="messages.count_tokens", path="/v1/messages/count_tokens", methods=POST),
        Endpoint(name="models", path="/v1/models", methods=GET, lists_models=True),
        Endpoint(name="models.retrieve", path="/v1/models/", methods=GET, takes_id=True),
    )
    serves = frozenset({"anthropic"})
    backend_shape = "anthropic-messages"
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

    def _fold_usage(self, body: bytes | str, into: Usage) -> Reported:
        # A whole message reports everything. In a stream, message_start carries the input side
        # (and a provisional output count); message_delta the output so far, CUMULATIVE, and
        # lately the input and cache counts again: each kind present replaces the one before.
        decoded = _decode(body)
        message = decoded.message
        usage = decoded.usage
        final_output = usage is not None
        if usage is None and message is not None:
            usage = message.usage
        if usage is None:
            return Reported.NOTHING
        _fold_input(usage, into)
        reported = Reported.INPUT if usage.input_tokens is not None else Reported.NOTHING
        if usage.output_tokens is not None:
            into.output_tokens = usage.output_tokens
            if final_output:
                reported |= Reported.OUTPUT
        return reported

    def _generated_text(self, event: bytes | str) -> str:
        delta = _decode_event(event).delta
        if delta is None:
            return ""
        return (delta.text or "") + (delta.partial_json or "") + (delta.thinking or "")


def _fold_input(usage: _Usage, into: Usage) -> None:
    """Anthropic's input kinds onto `into`, whose input_tokens includes the cache reads and writes.

    A kind the report leaves out keeps what an earlier report said of it."""
    uncached = into.input_tokens - into.cache_read_tokens - into.cache_write_tokens
    if usage.input_tokens is not None:
        uncached = usage.input_tokens
    if usage.cache_read_input_tokens is not None:
        into.cache_read_tokens = usage.cache_read_input_tokens
    by_duration = usage.cache_creation
    if by_duration is not None:
        into.cache_write_1h_tokens = by_duration.ephemeral_1h_input_tokens or 0
    if usage.cache_creation_input_tokens is not None:
        into.cache_write_tokens = usage.cache_creation_input_tokens
    elif by_duration is not None:
        into.cache_write_tokens = (by_duration.ephemeral_5m_input_tokens or 0) + into.cache_write_1h_tokens
    into.input_tokens = uncached + into.cache_read_tokens + into.cache_write_tokens


ANTHROPIC: Final = Anthropic()
