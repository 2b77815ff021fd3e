"""Google's Gemini API: `x-goog-api-key`, the model in the path, SSE streams with `alt=sse`.

Callers name the model in the path, as a custom method after it
(`/v1beta/models/{model}:generateContent`); the API is served under `/v1beta` (the SDK's
default) and `/v1`, and its base URL carries no version. A stream asked for with `?alt=sse`
is SSE whose every event is a whole `GenerateContentResponse`; without it the answer is one
JSON array of them.

`usageMetadata` counts: `promptTokenCount` includes the cached part
(`cachedContentTokenCount`); `candidatesTokenCount` leaves out the thinking
(`thoughtsTokenCount`), which Ingate counts as part of the output; `toolUsePromptTokenCount`
(what tools were prompted with) is input too.
"""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Reported, Usage

# google.rpc.Code names by HTTP status, as Google's APIs map them.
_STATUS_NAMES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",  # the method is not one this path supports
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",  # Google refuses an oversized request as an invalid argument
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_ERROR_INFO: Final = "type.googleapis.com/google.rpc.ErrorInfo"
_REQUEST_INFO: Final = "type.googleapis.com/google.rpc.RequestInfo"


def google_status(status: int) -> str:
    """The google.rpc.Code name Google's APIs answer an HTTP `status` with."""
    name = _STATUS_NAMES.get(status)
    if name is not None:
        return name
    return "INTERNAL" if status >= 500 else "INVALID_ARGUMENT"


class _UsageMetadata(msgspec.Struct, rename="camel"):
    prompt_token_count: int | None = None  # cached tokens included
    candidates_token_count: int | None = None  # thinking left out
    cached_content_token_count: int | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None


class _FunctionCall(msgspec.Struct):
    args: msgspec.Raw = msgspec.Raw(b"")


class _Part(msgspec.Struct, rename="camel"):
    text: str | None = None  # thought parts (`"thought": true`) carry their text here too
    function_call: _FunctionCall | None = None


class _Content(msgspec.Struct):
    parts: list[_Part] | None = None


class _Candidate(msgspec.Struct, rename="camel"):
    content: _Content | None = None
    finish_reason: str | None = None


class _Response(msgspec.Struct, rename="camel"):
    usage_metadata: _UsageMetadata | None = None
    candidates: list[_Candidate] | None = None


# Only the usage fields (and whether the answer ended) are decoded: msgspec skips the rest.
# A stream asked for without alt=sse comes whole, as a JSON array of the stream's responses.
_decode = msgspec.json.Decoder(_Response | list[_Response]).decode
_decode_event = msgspec.json.Decoder(_Response).decode
_encode = msgspec.json.Encoder().encode


def _api(version: str) -> tuple[Endpoint, ...]:
    """The endpoints under one API version; the model follows `models/` in the path."""
    models = f"/{version}/models"
    one_model = f"{models}/"
    return (
        Endpoint(
            name="models.generateContent",
            path=one_model,
            methods=POST,
            takes_id=True,
            custom_method="generateContent",
            shape="gemini-generate",
        ),
        Endpoint(
            name="models.streamGenerateContent",
            path=one_model,
            methods=POST,
            takes_id=True,
            custom_method="streamGenerateContent",
            streams_by_default=True,  # the method says it; the body has no `stream`
            shape="gemini-generate",
        ),
        Endpoint(
            name="models.countTokens",
            path=one_model,
            methods=POST,
            takes_id=True,
            custom_method="countTokens",
        ),
        Endpoint(name="models.list", path=models, methods=GET, lists_models=True),
        Endpoint(name="models.get", path=one_model, methods=GET, takes_id=True),
    )


class Gemini(ProviderFormat):
    __slots__ = ()

    name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"
    fallback_key_env = "GEMINI_API_KEY"
    more_key_envs = ("GOOGLE_API_KEY",)  # the google-genai SDK's own order
    base_path = ""
    endpoints = (*_api("v1beta"), *_api("v1"))
    serves = frozenset({"gemini"})
    backend_shape = "gemini-generate"
    framing = "sse"
    stream_content_type = b"text/event-stream"
    usage_marker = '"usageMetadata"'
    sdk_header = b"x-goog-api-client"
    path_prefixes = ("/v1beta/",)
    model_id_member = "name"
    model_list_member = "models"

    def model_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": f"models/{name}",
            "displayName": name,
            "description": "A route of Ingate's",
            "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        }

    def credential_headers(self, api_key: str) -> tuple[tuple[str, str], ...]:
        return (("x-goog-api-key", api_key),)

    def error_body(self, kind: ErrorKind, message: str, request_id: str) -> bytes:
        # Google's error details are typed: the stable code as an ErrorInfo reason, and the
        # request id where Google's own RequestInfo detail carries one.
        status = kind.types.get("gemini") or google_status(kind.status)
        details = [
            {"@type": _ERROR_INFO, "reason": kind.code, "domain": "ingate"},
            {"@type": _REQUEST_INFO, "requestId": request_id},
        ]
        return _encode(
            {"error": {"code": kind.status, "message": message, "status": status, "details": details}}
        )

    def _fold_usage(self, body: bytes | str, into: Usage) -> Reported:
        # Each response of a stream repeats the counts so far (cumulative), and the one that
        # ends a candidate (its finishReason) has the final output.
        decoded = _decode(body)
        reported = Reported.NOTHING
        for response in decoded if isinstance(decoded, list) else (decoded,):
            reported |= _fold_response(response, into)
        return reported

    def _generated_text(self, event: bytes | str) -> str:
        said: list[str] = []
        for candidate in _decode_event(event).candidates or ():
            content = candidate.content
            for part in (content.parts or ()) if content is not None else ():
                said.append(part.text or "")
                if part.function_call is not None:
                    said.append(bytes(part.function_call.args).decode())
        return "".join(said)


def _fold_response(response: _Response, into: Usage) -> Reported:
    usage = response.usage_metadata
    if usage is None:
        return Reported.NOTHING
    reported = Reported.NOTHING
    if usage.prompt_token_count is not None:
        into.input_tokens = usage.prompt_token_count + (usage.tool_use_prompt_token_count or 0)
        into.cache_read_tokens = usage.cached_content_token_count or 0
        reported |= Reported.INPUT
    if usage.candidates_token_count is not None or usage.thoughts_token_count is not None:
        into.reasoning_tokens = usage.thoughts_token_count or 0
        into.output_tokens = (usage.candidates_token_count or 0) + into.reasoning_tokens
    if any(candidate.finish_reason for candidate in response.candidates or ()):
        reported |= Reported.OUTPUT
    return reported


GEMINI: Final = Gemini()
