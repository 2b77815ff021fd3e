"""Error bodies in each provider's real shape, for injected and genuine errors."""

from __future__ import annotations

import enum
import re
from typing import Any

import msgspec


class Dialect(enum.Enum):
    """Which provider a route imitates (decides the error body shape)."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OLLAMA = "ollama"
    GEMINI = "gemini"


_OPENAI_TYPES = {429: "requests", 500: "server_error", 502: "server_error", 503: "server_error"}
_OPENAI_CODES: dict[int, str | None] = {
    401: "invalid_api_key",
    403: "unsupported_country_region_territory",
    404: "model_not_found",
    429: "rate_limit_exceeded",
}
_OPENAI_MESSAGES = {
    401: "Incorrect API key provided.",
    403: "Country, region, or territory not supported",
    404: "The model does not exist or you do not have access to it.",
    429: (
        "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
        "Please try again in 20s. Visit https://platform.openai.com/account/rate-limits "
        "to learn more."
    ),
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The server is overloaded or not ready yet.",
}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_MESSAGES = {
    401: "invalid x-api-key",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not found",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    529: "Overloaded",
}
_OLLAMA_MESSAGES = {
    404: "model not found, try pulling it first",
    500: "llama runner process has terminated: exit status 2",
    503: "server busy, please try again.  maximum pending requests exceeded",
}
# google.rpc.Code names by HTTP status, and the messages Google's API answers with.
_GEMINI_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_GEMINI_MESSAGES = {
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    ),
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "The request timed out. Please try again.",
}
_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")
_AT = re.compile(r"^(?P<detail>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)
_OPENAI_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
    "contact us through our help center at help.openai.com.)"
)


def openai_error(
    message: str, err_type: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": err_type, "param": param, "code": code}}


def anthropic_error(err_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": err_type, "message": message},
        "request_id": request_id,
    }


def ollama_error(message: str) -> dict[str, Any]:
    return {"error": message}


def gemini_error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Google's error body: the HTTP status again, and its google.rpc.Code name."""
    name = _GEMINI_STATUSES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
    error: dict[str, Any] = {"code": status, "message": message, "status": name}
    if details:
        error["details"] = details
    return {"error": error}


def error_body(
    dialect: Dialect, status: int, message: str | None = None, *, request_id: str = ""
) -> dict[str, Any]:
    """The body a provider sends with ``status`` (the default message is theirs)."""
    if dialect is Dialect.OPENAI:
        err_type = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "")
        return openai_error(
            message or _OPENAI_MESSAGES.get(status, f"Mock provider error (HTTP {status})."),
            err_type or "invalid_request_error",
            code=_OPENAI_CODES.get(status),
        )
    if dialect is Dialect.ANTHROPIC:
        default_type = "api_error" if status >= 500 else "invalid_request_error"
        return anthropic_error(
            _ANTHROPIC_TYPES.get(status, default_type),
            message or _ANTHROPIC_MESSAGES.get(status, f"Mock provider error (HTTP {status})"),
            request_id,
        )
    if dialect is Dialect.GEMINI:
        return gemini_error(
            status, message or _GEMINI_MESSAGES.get(status, f"Mock provider error (HTTP {status}).")
        )
    return ollama_error(message or _OLLAMA_MESSAGES.get(status, f"mock provider error (HTTP {status})"))


def not_found(dialect: Dialect, method: str, path: str, request_id: str) -> dict[str, Any]:
    """Body for an unknown path."""
    if dialect is Dialect.OPENAI:
        return openai_error(f"Invalid URL ({method} {path})", "invalid_request_error")
    if dialect is Dialect.ANTHROPIC:
        return anthropic_error("not_found_error", "Not Found", request_id)
    if dialect is Dialect.GEMINI:
        return gemini_error(404, f"Method not found: {method} {path}")
    return ollama_error("404 page not found")


def method_not_allowed(dialect: Dialect, method: str, path: str, request_id: str) -> dict[str, Any]:
    """Body for a known path called with the wrong method."""
    if dialect is Dialect.OPENAI:
        return openai_error(f"Invalid method for URL ({method} {path})", "invalid_request_error")
    if dialect is Dialect.ANTHROPIC:
        return anthropic_error("invalid_request_error", "Method Not Allowed", request_id)
    if dialect is Dialect.GEMINI:
        return gemini_error(404, f"Method not found: {method} {path}")  # Google has no 405
    return ollama_error("405 method not allowed")


def invalid_body(
    dialect: Dialect, exc: msgspec.DecodeError | UnicodeDecodeError, request_id: str
) -> dict[str, Any]:
    """400 body for a request body that is not JSON or does not fit the schema."""
    text = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        if dialect is Dialect.OPENAI:
            return openai_error(_OPENAI_BAD_JSON, "invalid_request_error")
        if dialect is Dialect.ANTHROPIC:
            return anthropic_error(
                "invalid_request_error", f"There was an error parsing the body: {text}", request_id
            )
        if dialect is Dialect.GEMINI:
            return gemini_error(400, f"Invalid JSON payload received. {text}")
        return ollama_error(f"invalid character in request body: {text}")
    match = _AT.match(text)
    detail = match.group("detail") if match else text
    path = (match.group("path") if match else None) or None
    missing = _MISSING.search(detail)
    if missing:
        field = missing.group("field")
        param = f"{path}.{field}" if path else field
        if dialect is Dialect.OPENAI:
            return openai_error(
                f"Missing required parameter: '{param}'.",
                "invalid_request_error",
                param=param,
                code="missing_required_parameter",
            )
        if dialect is Dialect.ANTHROPIC:
            return anthropic_error("invalid_request_error", f"{param}: Field required", request_id)
        if dialect is Dialect.GEMINI:
            return gemini_error(400, f"* GenerateContentRequest.{param}: {field} is not specified")
        return ollama_error(f"{param} is required")
    if dialect is Dialect.OPENAI:
        where = path or "body"
        return openai_error(
            f"Invalid value for '{where}': {detail}.",
            "invalid_request_error",
            param=path,
            code="invalid_type",
        )
    if dialect is Dialect.ANTHROPIC:
        return anthropic_error("invalid_request_error", f"{path or 'body'}: {detail}", request_id)
    if dialect is Dialect.GEMINI:
        return gemini_error(400, f"Invalid value at '{path or 'body'}': {detail}")
    return ollama_error(f"{path or 'body'}: {detail}")
