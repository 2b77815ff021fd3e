"""Gateway errors, rendered in the caller's dialect so each SDK raises its own exception.

OpenAI: {"error": {"message", "type", "param", "code", "request_id"}}
Anthropic: {"type": "error", "error": {"type", "message"}, "request_id"}  (as the real API)
Ollama: {"error": "...", "request_id"}
"""

from typing import Final

import msgspec

from ingate_edge.routes import Dialect

_encode = msgspec.json.Encoder().encode


class ErrorKind:
    __slots__ = ("anthropic_type", "openai_code", "openai_type", "status")

    def __init__(self, status: int, openai_type: str, openai_code: str, anthropic_type: str) -> None:
        self.status = status
        self.openai_type = openai_type
        self.openai_code = openai_code
        self.anthropic_type = anthropic_type


INVALID_REQUEST: Final = ErrorKind(400, "invalid_request_error", "invalid_request", "invalid_request_error")
UNKNOWN_PROVIDER: Final = ErrorKind(400, "invalid_request_error", "unknown_provider", "invalid_request_error")
AUTHENTICATION: Final = ErrorKind(401, "invalid_request_error", "invalid_api_key", "authentication_error")
PERMISSION: Final = ErrorKind(403, "permission_error", "model_not_allowed", "permission_error")
PROVIDER_NOT_ALLOWED: Final = ErrorKind(403, "permission_error", "provider_not_allowed", "permission_error")
# As OpenAI answers them: `type` says which limit, `code` what happened.
RATE_LIMITED_REQUESTS: Final = ErrorKind(429, "requests", "rate_limit_exceeded", "rate_limit_error")
RATE_LIMITED_TOKENS: Final = ErrorKind(429, "tokens", "rate_limit_exceeded", "rate_limit_error")
BUDGET_EXHAUSTED: Final = ErrorKind(429, "insufficient_quota", "insufficient_quota", "rate_limit_error")
NOT_FOUND: Final = ErrorKind(404, "invalid_request_error", "unknown_url", "not_found_error")
METHOD_NOT_ALLOWED: Final = ErrorKind(
    405, "invalid_request_error", "method_not_allowed", "invalid_request_error"
)
TOO_LARGE: Final = ErrorKind(413, "invalid_request_error", "request_too_large", "request_too_large")
HEADERS_TOO_LARGE: Final = ErrorKind(
    431, "invalid_request_error", "headers_too_large", "invalid_request_error"
)
REQUEST_TIMEOUT: Final = ErrorKind(408, "invalid_request_error", "request_timeout", "invalid_request_error")
INTERNAL: Final = ErrorKind(500, "api_error", "internal_error", "api_error")
UPSTREAM_UNREACHABLE: Final = ErrorKind(502, "api_error", "upstream_unreachable", "api_error")
UNAVAILABLE: Final = ErrorKind(503, "api_error", "service_unavailable", "api_error")
TOO_MANY_CONNECTIONS: Final = ErrorKind(503, "api_error", "too_many_connections", "overloaded_error")
TRANSLATOR_UNAVAILABLE: Final = ErrorKind(503, "api_error", "translator_unavailable", "api_error")
TRANSLATION_FAILED: Final = ErrorKind(502, "api_error", "translation_failed", "api_error")
UPSTREAM_TIMEOUT: Final = ErrorKind(504, "api_error", "upstream_timeout", "timeout_error")


class GatewayError(Exception):
    """Raised anywhere on the request path; the proxy turns it into the caller's error."""

    def __init__(self, kind: ErrorKind, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.headers = headers

    @property
    def status(self) -> int:
        return self.kind.status

    @property
    def error_type(self) -> str:
        return self.kind.openai_code


def error_body(dialect: Dialect, kind: ErrorKind, message: str, request_id: str) -> bytes:
    if dialect == "anthropic":
        return _encode(
            {
                "type": "error",
                "error": {"type": kind.anthropic_type, "message": message},
                "request_id": request_id,
            }
        )
    if dialect == "ollama":
        return _encode({"error": message, "request_id": request_id})
    return _encode(
        {
            "error": {
                "message": message,
                "type": kind.openai_type,
                "param": None,
                "code": kind.openai_code,
                "request_id": request_id,
            }
        }
    )
