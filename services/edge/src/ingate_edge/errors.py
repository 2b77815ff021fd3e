"""The errors Ingate answers itself, rendered in the caller's dialect so each SDK raises its own.

Each kind has an HTTP status, a stable code (OpenAI's `code`, and the record's
`error_type`) and the error type OpenAI's and Anthropic's envelopes name it by (and
Gemini's `status`); the envelopes themselves are the formats' (`ProviderFormat.error_body`).
"""

from typing import Final

from ingate_providers import ErrorKind, google_status


def _kind(status: int, code: str, openai_type: str, anthropic_type: str) -> ErrorKind:
    # Gemini's `status` is the google.rpc.Code Google answers the HTTP status with.
    types = {"openai": openai_type, "anthropic": anthropic_type, "gemini": google_status(status)}
    return ErrorKind(status, code, types)


INVALID_REQUEST: Final = _kind(400, "invalid_request", "invalid_request_error", "invalid_request_error")
UNKNOWN_PROVIDER: Final = _kind(400, "unknown_provider", "invalid_request_error", "invalid_request_error")
AUTHENTICATION: Final = _kind(401, "invalid_api_key", "invalid_request_error", "authentication_error")
PERMISSION: Final = _kind(403, "model_not_allowed", "permission_error", "permission_error")
PROVIDER_NOT_ALLOWED: Final = _kind(403, "provider_not_allowed", "permission_error", "permission_error")
# As OpenAI answers them: `type` says which limit, `code` what happened.
RATE_LIMITED_REQUESTS: Final = _kind(429, "rate_limit_exceeded", "requests", "rate_limit_error")
RATE_LIMITED_TOKENS: Final = _kind(429, "rate_limit_exceeded", "tokens", "rate_limit_error")
BUDGET_EXHAUSTED: Final = _kind(429, "insufficient_quota", "insufficient_quota", "rate_limit_error")
NOT_FOUND: Final = _kind(404, "unknown_url", "invalid_request_error", "not_found_error")
METHOD_NOT_ALLOWED: Final = _kind(405, "method_not_allowed", "invalid_request_error", "invalid_request_error")
TOO_LARGE: Final = _kind(413, "request_too_large", "invalid_request_error", "request_too_large")
HEADERS_TOO_LARGE: Final = _kind(431, "headers_too_large", "invalid_request_error", "invalid_request_error")
REQUEST_TIMEOUT: Final = _kind(408, "request_timeout", "invalid_request_error", "invalid_request_error")
INTERNAL: Final = _kind(500, "internal_error", "api_error", "api_error")
UPSTREAM_UNREACHABLE: Final = _kind(502, "upstream_unreachable", "api_error", "api_error")
UNAVAILABLE: Final = _kind(503, "service_unavailable", "api_error", "api_error")
TOO_MANY_CONNECTIONS: Final = _kind(503, "too_many_connections", "api_error", "overloaded_error")
# A provider the configuration names a credential variable for, which was not set at start.
PROVIDER_CREDENTIAL_MISSING: Final = _kind(503, "provider_credential_missing", "api_error", "api_error")
TRANSLATOR_UNAVAILABLE: Final = _kind(503, "translator_unavailable", "api_error", "api_error")
TRANSLATION_FAILED: Final = _kind(502, "translation_failed", "api_error", "api_error")
# A provider's WebSocket that closed mid-response (its HTTP streams breaking are recorded so too).
UPSTREAM_STREAM_BROKEN: Final = _kind(502, "upstream_stream_broken", "api_error", "api_error")
UPSTREAM_TIMEOUT: Final = _kind(504, "upstream_timeout", "api_error", "timeout_error")
# A route whose every attempt failed (or whose every target is cooling down).
ALL_TARGETS_FAILED: Final = _kind(503, "all_targets_failed", "api_error", "overloaded_error")


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
        return self.kind.code
