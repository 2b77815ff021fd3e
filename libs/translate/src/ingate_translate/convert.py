"""Pure converters shared by both directions.

Each function maps one concept between the two formats: ids, tool arguments,
finish_reason ⇄ stop_reason, usage (cached tokens included), error types and
statuses, images, tool definitions and tool_choice. None of them reads a clock
or keeps state.
"""

import re
from typing import Any, TypeVar

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.schemas import anthropic as an
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


def chat_completion_id(message_id: str) -> str:
    """`msg_01Abc` → `chatcmpl-01Abc`."""
    return "chatcmpl-" + message_id.removeprefix("msg_")


def message_id(completion_id: str) -> str:
    """`chatcmpl-Abc` → `msg_Abc`."""
    return "msg_" + completion_id.removeprefix("chatcmpl-")


# -- finish_reason ⇄ stop_reason ---------------------------------------------

FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
STOP_REASONS: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def finish_reason(stop_reason: str | None) -> str:
    """Anthropic stop_reason → OpenAI finish_reason (unknown or missing → "stop")."""
    return FINISH_REASONS.get(stop_reason or "", "stop")


def stop_reason(finish_reason: str | None, *, has_tool_calls: bool) -> str:
    """OpenAI finish_reason → Anthropic stop_reason.

    Some OpenAI-compatible servers report "stop" for a turn that ends in tool calls;
    the Anthropic client needs "tool_use" to run its tool loop, so tool calls win.
    """
    mapped = STOP_REASONS.get(finish_reason or "", "end_turn")
    return "tool_use" if has_tool_calls and mapped == "end_turn" else mapped


# -- usage -------------------------------------------------------------------


def openai_usage(input_tokens: int, output_tokens: int, cache_read: int, cache_creation: int) -> oa.Usage:
    """Anthropic counts cached input apart from `input_tokens`; OpenAI's prompt_tokens include it.

    Cache reads are OpenAI's `cached_tokens`; cache writes its `cache_write_tokens` (sent when non-zero).
    """
    prompt = input_tokens + cache_read + cache_creation
    details = oa.PromptTokensDetails(cached_tokens=cache_read)
    if cache_creation:
        details.cache_write_tokens = cache_creation
    return oa.Usage(
        prompt_tokens=prompt,
        completion_tokens=output_tokens,
        total_tokens=prompt + output_tokens,
        prompt_tokens_details=details,
    )


def anthropic_usage(usage: oa.Usage) -> an.Usage:
    """OpenAI's prompt_tokens include cache reads and writes; Anthropic reports them apart."""
    details = usage.prompt_tokens_details
    cached = written = 0
    if isinstance(details, oa.PromptTokensDetails):
        cached = details.cached_tokens
        written = token_count(details.cache_write_tokens)
    return an.Usage(
        input_tokens=max(usage.prompt_tokens - cached - written, 0),
        output_tokens=usage.completion_tokens,
        cache_creation_input_tokens=written,
        cache_read_input_tokens=cached,
    )


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


def anthropic_error_type(status: int) -> str:
    """The Anthropic error type for an HTTP status (other 4xx → invalid_request_error, 5xx → api_error)."""
    if status in ANTHROPIC_ERROR_TYPES:
        return ANTHROPIC_ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


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


def anthropic_error_body(kind: str, message: str) -> bytes:
    """`{"type": "error", "error": {"type", "message"}}`, as Anthropic sends errors."""
    return _encode(an.ErrorBody(an.ErrorDetail(type=kind, message=message)))


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


def image_to_anthropic(url: str, param: str) -> an.ImageBlock:
    """An OpenAI image_url (data: or http(s) URL) → an Anthropic image block."""
    if url.startswith(("http://", "https://")):
        return an.ImageBlock(source=an.URLSource(url=url))
    found = _DATA_URL.match(url)
    if found is None:
        raise TranslationError("Image URLs must be http(s) URLs or base64 data URLs.", param=param)
    media = found.group("media").lower().replace("image/jpg", "image/jpeg")
    if ";base64" not in found.group("params").lower():
        raise TranslationError("Image data URLs must be base64-encoded.", param=param)
    if media not in IMAGE_MEDIA_TYPES:
        allowed = ", ".join(sorted(IMAGE_MEDIA_TYPES))
        raise TranslationError(f"Unsupported image type {media!r}; the backend takes {allowed}.", param)
    return an.ImageBlock(source=an.Base64Source(media_type=media, data=found.group("data")))


def image_to_openai(block: an.ImageBlock, param: str) -> oa.ImagePart:
    """An Anthropic image block → an OpenAI image_url part (base64 becomes a data URL)."""
    source = block.source
    if isinstance(source, an.Base64Source):
        url = f"data:{source.media_type};base64,{source.data}"
    elif isinstance(source, an.URLSource):
        url = source.url
    else:
        raise TranslationError("Images given by file id cannot be sent to this backend.", param=param)
    return oa.ImagePart(image_url=oa.ImageURL(url=url))


# -- tools -------------------------------------------------------------------

EMPTY_SCHEMA: dict[str, object] = {"type": "object", "properties": {}}


def tool_to_anthropic(tool: oa.FunctionTool) -> an.Tool:
    spec = tool.function
    schema = spec.parameters if spec.parameters is not None else dict(EMPTY_SCHEMA)
    return an.Tool(name=spec.name, description=spec.description, input_schema=schema)


def tool_to_openai(tool: an.Tool, param: str) -> oa.FunctionTool:
    if tool.type not in (None, "custom"):
        raise TranslationError(f"Server tool {tool.type!r} cannot be run by this backend.", param=param)
    schema = tool.input_schema if tool.input_schema is not None else dict(EMPTY_SCHEMA)
    spec = oa.FunctionDefinition(name=tool.name, description=tool.description, parameters=schema)
    return oa.FunctionTool(function=spec)


def tool_choice_to_anthropic(choice: oa.ToolChoice | None, parallel: bool | None) -> an.ToolChoice | None:
    """OpenAI tool_choice + parallel_tool_calls → Anthropic tool_choice (None: leave the default)."""
    disable = True if parallel is False else None
    if choice == "none":
        return an.ToolChoiceNone()
    if choice == "required":
        return an.ToolChoiceAny(disable_parallel_tool_use=disable)
    if isinstance(choice, oa.ToolChoiceFunction):
        return an.ToolChoiceTool(name=choice.function.name, disable_parallel_tool_use=disable)
    if isinstance(choice, oa.ToolChoiceAllowedTools | oa.ToolChoiceCustom):
        raise TranslationError("Only function tool_choice values can be translated.", param="tool_choice")
    if choice == "auto" or disable:
        return an.ToolChoiceAuto(disable_parallel_tool_use=disable)
    return None


def tool_choice_to_openai(choice: an.ToolChoice | None) -> tuple[oa.ToolChoice | None, bool | None]:
    """Anthropic tool_choice → (OpenAI tool_choice, parallel_tool_calls)."""
    if choice is None:
        return None, None
    if isinstance(choice, an.ToolChoiceNone):
        return "none", None
    parallel = False if choice.disable_parallel_tool_use else None
    if isinstance(choice, an.ToolChoiceAny):
        return "required", parallel
    if isinstance(choice, an.ToolChoiceTool):
        return oa.ToolChoiceFunction(function=oa.NamedFunction(name=choice.name)), parallel
    return "auto", parallel
