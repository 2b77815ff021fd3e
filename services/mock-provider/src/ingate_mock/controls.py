"""Per-request ``X-Mock-*`` control headers (fault injection and pacing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ingate_mock.options import MockOptions

PREFIX = "x-mock-"
# How an answer's thinking comes (Anthropic): "none" signed thinking only, "only" one
# redacted_thinking block instead, "also" a redacted_thinking block after the thinking one.
Redaction = Literal["none", "only", "also"]
_REDACTIONS: dict[str, Redaction] = {"none": "none", "only": "only", "also": "also"}


class ControlError(ValueError):
    """An ``X-Mock-*`` header carried a value the mock cannot use."""


@dataclass(frozen=True, slots=True)
class Controls:
    """Effective behaviour for one request (options overridden by headers)."""

    status: int | None = None
    latency_s: float = 0.0
    drop_after: int | None = None
    token_interval_s: float = 0.0
    reply_tokens: int = 12
    echo_headers: bool = False
    omit_usage: bool = False  # streams end without their usage report
    redacted_thinking: Redaction = "none"


def defaults(options: MockOptions) -> Controls:
    """Controls for a request that carries no ``X-Mock-*`` header."""
    return Controls(
        latency_s=max(options.latency_ms, 0.0) / 1000.0,
        token_interval_s=_interval(options.tokens_per_second),
        reply_tokens=max(options.reply_tokens, 0),
    )


def read_controls(mock_headers: Mapping[str, str], base: Controls) -> Controls:
    """Apply the ``x-mock-*`` headers (lower-cased names) on top of ``base``."""
    if not mock_headers:
        return base
    status = base.status
    raw = mock_headers.get("x-mock-status")
    if raw is not None:
        status = _int(raw, "X-Mock-Status")
        if not 400 <= status <= 599:
            raise ControlError("X-Mock-Status must be a 4xx or 5xx status code")
    latency_s = base.latency_s
    raw = mock_headers.get("x-mock-latency-ms")
    if raw is not None:
        latency_s = max(_float(raw, "X-Mock-Latency-Ms"), 0.0) / 1000.0
    drop_after = base.drop_after
    raw = mock_headers.get("x-mock-drop-after")
    if raw is not None:
        drop_after = max(_int(raw, "X-Mock-Drop-After"), 0)
    interval = base.token_interval_s
    raw = mock_headers.get("x-mock-tokens-per-second")
    if raw is not None:
        interval = _interval(_float(raw, "X-Mock-Tokens-Per-Second"))
    reply_tokens = base.reply_tokens
    raw = mock_headers.get("x-mock-reply-tokens")
    if raw is not None:
        reply_tokens = max(_int(raw, "X-Mock-Reply-Tokens"), 0)
    echo = base.echo_headers
    raw = mock_headers.get("x-mock-echo-headers")
    if raw is not None:
        echo = _flag(raw)
    omit_usage = base.omit_usage
    raw = mock_headers.get("x-mock-omit-usage")
    if raw is not None:
        omit_usage = _flag(raw)
    redacted = base.redacted_thinking
    raw = mock_headers.get("x-mock-redacted-thinking")
    if raw is not None:
        redacted = _redaction(raw)
    return Controls(
        status=status,
        latency_s=latency_s,
        drop_after=drop_after,
        token_interval_s=interval,
        reply_tokens=reply_tokens,
        echo_headers=echo,
        omit_usage=omit_usage,
        redacted_thinking=redacted,
    )


def _redaction(raw: str) -> Redaction:
    redaction = _REDACTIONS.get(raw.strip().lower())
    if redaction is not None:
        return redaction
    raise ControlError(f"X-Mock-Redacted-Thinking must be one of {', '.join(_REDACTIONS)}, got {raw!r}")


def _flag(raw: str) -> bool:
    return raw.strip().lower() not in ("", "0", "false", "no", "off")


def _interval(tokens_per_second: float) -> float:
    return 1.0 / tokens_per_second if tokens_per_second > 0 else 0.0


def _int(raw: str, name: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ControlError(f"{name} must be an integer, got {raw!r}") from None


def _float(raw: str, name: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ControlError(f"{name} must be a number, got {raw!r}") from None
