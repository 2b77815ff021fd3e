"""OpenAI's API: Bearer keys, a base URL that includes /v1, SSE streams, usage under `usage`."""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Reported, Usage


class _InputDetails(msgspec.Struct):
    cached_tokens: int | None = None
    # Not OpenAI's own: OpenAI-compatible APIs that bill prompt caching (OpenRouter) report writes here.
    cache_write_tokens: int | None = None


class _OutputDetails(msgspec.Struct):
    reasoning_tokens: int | None = None


class _Usage(msgspec.Struct):
    # Chat completions.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _InputDetails | None = None
    completion_tokens_details: _OutputDetails | None = None
    # The Responses API names them like Anthropic does.
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_tokens_details: _InputDetails | None = None
    output_tokens_details: _OutputDetails | None = None


class _Body(msgspec.Struct):
    usage: _Usage | None = None
    # Responses API stream events (response.completed, .incomplete, .failed) wrap the response.
    response: "_Body | None" = None


class _ToolFunction(msgspec.Struct):
    arguments: str | None = None


class _ToolCall(msgspec.Struct):
    function: _ToolFunction | None = None


class _Delta(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None  # OpenAI-compatible reasoning models (DeepSeek, vLLM)
    tool_calls: list[_ToolCall] | None = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None


class _Event(msgspec.Struct):
    choices: list[_Choice] | None = None  # a chat completion chunk
    delta: str | None = None  # a Responses API *.delta event (output text, arguments, reasoning)


# Only the usage fields are decoded: msgspec skips the rest unparsed.
_decode = msgspec.json.Decoder(_Body).decode
_decode_event = msgspec.json.Decoder(_Event).decode
_encode = msgspec.json.Encoder().encode


class OpenAI(ProviderFormat):
    __slots__ = ()

    name = "openai"
    default_base_url = "https://api.openai.com/v1"
    fallback_key_env = "OPENAI_API_KEY"
    responses_websocket_hosts = frozenset({"api.openai.com"})
    base_path = "/v1"
    endpoints = (
        Endpoint(
            name="chat.completions",
            path="/chat/completions",
            methods=POST,
            shape="openai-chat",
            usage_needs_asking=True,
            request_id_field=True,
        ),
        Endpoint(name="embeddings", path="/embeddings", methods=POST, request_id_field=True),
        Endpoint(name="models", path="/models", methods=GET, lists_models=True),
        Endpoint(
            name="responses", path="/responses", methods=POST, request_id_field=True, shape="openai-responses"
        ),
        Endpoint(name="models.retrieve", path="/models/", methods=GET, takes_id=True),
    )
    serves = frozenset({"openai"})
    backend_shape = "openai-chat"
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

    def _fold_usage(self, body: bytes | str, into: Usage) -> Reported:
        # One report per answer (a body, the last chat chunk, response.completed): all final.
        decoded = _decode(body)
        response = decoded.response
        usage = decoded.usage if decoded.usage is not None else (response.usage if response else None)
        if usage is None:
            return Reported.NOTHING
        if usage.prompt_tokens is not None or usage.completion_tokens is not None:
            into.input_tokens = usage.prompt_tokens or 0
            into.output_tokens = usage.completion_tokens or 0
            given, made = usage.prompt_tokens_details, usage.completion_tokens_details
        else:
            into.input_tokens = usage.input_tokens or 0
            into.output_tokens = usage.output_tokens or 0
            given, made = usage.input_tokens_details, usage.output_tokens_details
        into.cache_read_tokens = (given.cached_tokens or 0) if given else 0
        into.cache_write_tokens = (given.cache_write_tokens or 0) if given else 0
        into.reasoning_tokens = (made.reasoning_tokens or 0) if made else 0
        return Reported.BOTH

    def _generated_text(self, event: bytes | str) -> str:
        decoded = _decode_event(event)
        if decoded.delta is not None:
            return decoded.delta
        parts: list[str] = []
        for choice in decoded.choices or ():
            delta = choice.delta
            if delta is None:
                continue
            parts += (delta.content or "", delta.refusal or "", delta.reasoning_content or "")
            calls = delta.tool_calls or ()
            parts += ((call.function.arguments or "") if call.function else "" for call in calls)
        return "".join(parts)


OPENAI: Final = OpenAI()
