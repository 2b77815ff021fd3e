"""Gemini's one-to-one mappings: finish reasons, usage counts, error statuses, schema dialect.

Usage: Gemini's `promptTokenCount` includes cached tokens (`cachedContentTokenCount`) as
the IR's input does; its `candidatesTokenCount` excludes the thoughts, which the IR's
output includes. Tool-use prompt tokens (what server tools read) count as input.
"""

from typing import Any, Final

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.convert import compact_json, error_kind
from ingate_translate.schemas import gemini as gm

# -- finish reasons ------------------------------------------------------------

_FILTERED = ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY")
_STOPS: Final[dict[str, ir.StopReason]] = {
    "STOP": "end",
    "MAX_TOKENS": "length",
    **dict.fromkeys(_FILTERED, "content_filter"),
    **dict.fromkeys(("IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "LANGUAGE"), "content_filter"),
}
_FINISHES: Final[dict[ir.StopReason, str]] = {
    "end": "STOP",
    "tool_calls": "STOP",
    "stop_sequence": "STOP",
    "pause": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}


def stop_reason(finish_reason: str | None, *, has_tool_calls: bool) -> ir.StopReason:
    """Gemini's finishReason → the IR's: STOP with function calls is a tool-call stop
    (Gemini has no reason of its own for it); reasons it adds later count as an end."""
    stop = _STOPS.get((finish_reason or "STOP").upper(), "end")
    return "tool_calls" if has_tool_calls and stop == "end" else stop


def finish_reason(stop: ir.StopReason) -> str:
    return _FINISHES[stop]


# -- usage ---------------------------------------------------------------------


def _count(value: int | None) -> int:
    return value if value is not None and value > 0 else 0


def usage_from_gemini(usage: gm.UsageMetadata) -> ir.Usage:
    thoughts = _count(usage.thoughts_token_count)
    return ir.Usage(
        input_tokens=_count(usage.prompt_token_count) + _count(usage.tool_use_prompt_token_count),
        output_tokens=_count(usage.candidates_token_count) + thoughts,
        cache_read_tokens=_count(usage.cached_content_token_count),
        reasoning_tokens=thoughts,
    )


def usage_to_gemini(usage: ir.Usage) -> gm.UsageMetadata:
    """Counts Gemini reports even when zero are sent as zero; the optional ones only when set."""
    thoughts = min(usage.reasoning_tokens, usage.output_tokens)
    return gm.UsageMetadata(
        prompt_token_count=usage.input_tokens,
        candidates_token_count=usage.output_tokens - thoughts,
        total_token_count=usage.input_tokens + usage.output_tokens,
        cached_content_token_count=usage.cache_read_tokens or None,
        thoughts_token_count=thoughts or None,
    )


# -- errors --------------------------------------------------------------------

_STATUS_NAMES: Final[dict[ir.ErrorKind, str]] = {
    "invalid_request": "INVALID_ARGUMENT",
    "too_large": "INVALID_ARGUMENT",
    "authentication": "UNAUTHENTICATED",
    "permission": "PERMISSION_DENIED",
    "billing": "FAILED_PRECONDITION",
    "not_found": "NOT_FOUND",
    "rate_limit": "RESOURCE_EXHAUSTED",
    "overloaded": "UNAVAILABLE",
    "timeout": "DEADLINE_EXCEEDED",
    "server": "INTERNAL",
}
_KINDS_BY_NAME: Final[dict[str, ir.ErrorKind]] = {
    "INVALID_ARGUMENT": "invalid_request",
    "FAILED_PRECONDITION": "invalid_request",
    "OUT_OF_RANGE": "invalid_request",
    "UNAUTHENTICATED": "authentication",
    "PERMISSION_DENIED": "permission",
    "NOT_FOUND": "not_found",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "UNAVAILABLE": "overloaded",
    "DEADLINE_EXCEEDED": "timeout",
    "INTERNAL": "server",
    "UNKNOWN": "server",
}
_decode_error = msgspec.json.Decoder(gm.ErrorBody | list[gm.ErrorBody]).decode
_encode = msgspec.json.Encoder().encode


def _kind(status: int, name: str | None) -> ir.ErrorKind:
    """The IR kind for a Gemini status name (what it says best, but for the statuses it
    has no name of its own for), else for the HTTP status."""
    if name in _KINDS_BY_NAME and status not in (402, 413):
        return _KINDS_BY_NAME[name]
    return error_kind(status)


def _violated_field(details: list[Any] | None) -> str | None:
    """google.rpc.BadRequest names the request field at fault."""
    for detail in details or []:
        if isinstance(detail, dict):
            for violation in detail.get("fieldViolations") or []:
                if isinstance(violation, dict) and isinstance(violation.get("field"), str):
                    return str(violation["field"])
    return None


def error_from_gemini(status: int, body: bytes) -> ir.Error:
    """Google's `{"error": {code, message, status, details}}` (a one-item list on some
    stream endpoints), or whatever text came instead."""
    try:
        decoded = _decode_error(body)
    except (msgspec.DecodeError, RecursionError):
        text = body.decode(errors="replace").strip()[:2000] or f"HTTP {status}"
        return ir.Error(status=status, kind=_kind(status, None), message=text)
    if isinstance(decoded, list):
        decoded = decoded[0] if decoded else gm.ErrorBody(error=gm.ErrorDetail())
    return error_from_detail(status, decoded.error)


def error_from_detail(status: int, detail: gm.ErrorDetail) -> ir.Error:
    return ir.Error(
        status=status,
        kind=_kind(status, detail.status),
        message=detail.message or compact_json(msgspec.to_builtins(detail)),
        param=_violated_field(detail.details),
    )


def error_to_gemini(error: ir.Error) -> gm.ErrorBody:
    message = f"{error.message} (parameter: {error.param})" if error.param else error.message
    detail = gm.ErrorDetail(code=error.status, message=message, status=_STATUS_NAMES[error.kind])
    if error.param:
        violation = {"field": error.param, "description": error.message}
        detail.details = [
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
        ]
    return gm.ErrorBody(error=detail)


def error_body(error: ir.Error) -> bytes:
    return _encode(error_to_gemini(error))


# -- schema dialect ------------------------------------------------------------

MAX_SCHEMA_DEPTH = 64


def json_schema(schema: object, param: str, depth: int = 0) -> Any:
    """Gemini's OpenAPI-subset Schema (`parameters`, `responseSchema`) as JSON Schema: type
    names in lower case (Gemini's are upper), `nullable` as a "null" type, no `propertyOrdering`."""
    if depth > MAX_SCHEMA_DEPTH:
        raise TranslationError("The schema nests too deeply.", param=param)
    if isinstance(schema, list):
        return [json_schema(item, param, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("propertyOrdering", "property_ordering", "nullable"):
            continue
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: json_schema(item, param, depth + 1) for name, item in value.items()}
        elif key in ("items", "anyOf", "any_of"):
            out["anyOf" if key == "any_of" else key] = json_schema(value, param, depth + 1)
        else:
            out[key] = value
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out
