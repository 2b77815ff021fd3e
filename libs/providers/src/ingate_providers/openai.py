"""OpenAI's API: Bearer keys, a base URL that includes /v1, SSE streams, usage under `usage`."""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Usage


class _Details(msgspec.Struct):
    cached_tokens: int | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _Details | None = None
    # The Responses API names them like Anthropic does.
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_tokens_details: _Details | None = None


class _Body(msgspec.Struct):
    usage: _Usage | None = None
    response: "_Body | None" = None  # Responses API stream events wrap the response


# Only the usage fields are decoded: msgspec skips the rest unparsed.
_decode = msgspec.json.Decoder(_Body).decode
_encode = msgspec.json.Encoder().encode


class OpenAI(ProviderFormat):
    __slots__ = ()

    name = "openai"
    default_base_url = "https://api.openai.com/v1"
    fallback_key_env = "OPENAI_API_KEY"
    base_path = "/v1"
    endpoints = (
        Endpoint(
            name="chat.completions",
            path="/chat/completions",
            methods=POST,
            translatable=True,
            usage_needs_asking=True,
            request_id_field=True,
        ),
        Endpoint(name="embeddings", path="/embeddings", methods=POST, request_id_field=True),
        Endpoint(name="models", path="/models", methods=GET, lists_models=True),
        Endpoint(name="responses", path="/responses", methods=POST, request_id_field=True),
        Endpoint(name="models.retrieve", path="/models/", methods=GET, takes_id=True),
    )
    serves = frozenset({"openai"})
    translatable = True
    framing = "sse"
    stream_content_type = b"text/event-stream"
    usage_marker = '"usage"'
    sdk_header = None
    path_prefixes = ()
    model_id_member = "id"
    model_list_member = "data"

    def model_entry(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 0, "owned_by": "ingate"}

    def credential_headers(self, api_key: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {api_key}"),)

    def error_body(self, kind: ErrorKind, message: str, request_id: str) -> bytes:
        return _encode(
            {
                "error": {
                    "message": message,
                    "type": kind.types["openai"],
                    "param": None,
                    "code": kind.code,
                    "request_id": request_id,
                }
            }
        )

    def _fold_usage(self, body: bytes | str, into: Usage) -> None:
        decoded = _decode(body)
        response = decoded.response
        usage = decoded.usage if decoded.usage is not None else (response.usage if response else None)
        if usage is None:
            return
        if usage.prompt_tokens is not None or usage.completion_tokens is not None:
            into.input_tokens = usage.prompt_tokens or 0
            into.output_tokens = usage.completion_tokens or 0
            details = usage.prompt_tokens_details
        else:
            into.input_tokens = usage.input_tokens or 0
            into.output_tokens = usage.output_tokens or 0
            details = usage.input_tokens_details
        into.cache_read_tokens = (details.cached_tokens or 0) if details else 0


OPENAI: Final = OpenAI()
