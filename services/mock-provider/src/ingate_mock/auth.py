"""Credential checks, one rule per dialect, answered with the provider's body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from ingate_mock.faults import Dialect, anthropic_error, gemini_error, ollama_error, openai_error
from ingate_mock.options import MockOptions

Failure = tuple[int, dict[str, Any]]

_OPENAI_MISSING = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
    "(with blank username) if you're accessing the API from your browser and are prompted for "
    "a username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


_GEMINI_MISSING = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_GEMINI_INVALID = "API key not valid. Please pass a valid API key."


def mask_key(key: str) -> str:
    """Show a key the way OpenAI does in errors: a short prefix and suffix only."""
    if len(key) < 12:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def bearer(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def check(
    dialect: Dialect, headers: Mapping[str, str], options: MockOptions, request_id: str, query: str = ""
) -> Failure | None:
    """``None`` when the request may proceed, else ``(status, body)`` to send."""
    if dialect is Dialect.OPENAI:
        return _openai(headers, options.openai_key)
    if dialect is Dialect.ANTHROPIC:
        return _anthropic(headers, options.anthropic_key, request_id)
    if dialect is Dialect.GEMINI:
        return _gemini(headers, query, options.gemini_key)
    return _ollama(headers, options.ollama_key)


def _openai(headers: Mapping[str, str], expected: str | None) -> Failure | None:
    token = bearer(headers)
    if token is None:
        return 401, openai_error(_OPENAI_MISSING, "invalid_request_error")
    if expected is not None and token != expected:
        message = (
            f"Incorrect API key provided: {mask_key(token)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
        return 401, openai_error(message, "invalid_request_error", code="invalid_api_key")
    return None


def _anthropic(headers: Mapping[str, str], expected: str | None, request_id: str) -> Failure | None:
    # Current SDKs may send the key as ``Authorization: Bearer`` instead of
    # ``x-api-key``; the API accepts either, with ``x-api-key`` taking precedence.
    key = headers.get("x-api-key") or bearer(headers)
    if not key:
        body = anthropic_error("authentication_error", "x-api-key header is required", request_id)
        return 401, body
    if expected is not None and key != expected:
        return 401, anthropic_error("authentication_error", "invalid x-api-key", request_id)
    if not headers.get("anthropic-version"):
        body = anthropic_error("invalid_request_error", "anthropic-version: header is required", request_id)
        return 400, body
    return None


def _ollama(headers: Mapping[str, str], expected: str | None) -> Failure | None:
    if expected is None:
        return None
    if bearer(headers) != expected:
        return 401, ollama_error("unauthorized")
    return None


def _gemini(headers: Mapping[str, str], query: str, expected: str | None) -> Failure | None:
    # Google takes the key from ``x-goog-api-key`` or the ``key`` parameter; every one sent
    # must be valid, so a key that should not have come along (a gateway's own) is refused.
    given = [headers.get("x-goog-api-key", ""), *parse_qs(query).get("key", [])]
    keys = [key.strip() for key in given if key.strip()]
    if not keys:
        return 403, gemini_error(403, _GEMINI_MISSING)
    if expected is not None and any(key != expected for key in keys):
        reason = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                  "domain": "googleapis.com"}  # fmt: skip
        return 400, gemini_error(400, _GEMINI_INVALID, [reason])
    return None
