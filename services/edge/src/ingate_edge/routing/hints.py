"""How long a provider asked us to stay away, read from its rate-limit headers.

Providers say it differently: `retry-after` (seconds or an HTTP date, RFC 9110 §10.2.3),
OpenAI's `retry-after-ms` and `x-ratelimit-reset-*` (Go durations such as "6m0s" or
"20ms"), Anthropic's `anthropic-ratelimit-*-reset` (RFC 3339 times). The most precise
one present wins; a reset of a limit that still has room left is not a reason to wait.
"""

import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from typing import Final

_GO_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_S: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_RESETS: Final = (
    (b"x-ratelimit-remaining-requests", b"x-ratelimit-reset-requests"),
    (b"x-ratelimit-remaining-tokens", b"x-ratelimit-reset-tokens"),
)
_ANTHROPIC_RESETS: Final = (
    (b"anthropic-ratelimit-requests-remaining", b"anthropic-ratelimit-requests-reset"),
    (b"anthropic-ratelimit-tokens-remaining", b"anthropic-ratelimit-tokens-reset"),
    (b"anthropic-ratelimit-input-tokens-remaining", b"anthropic-ratelimit-input-tokens-reset"),
    (b"anthropic-ratelimit-output-tokens-remaining", b"anthropic-ratelimit-output-tokens-reset"),
)


def wait_hint_s(headers: Iterable[tuple[bytes, bytes]], now: float) -> float | None:
    """Seconds the provider asked callers to wait (None when it did not say), from raw headers."""
    seen = {name.lower(): value.strip() for name, value in headers}
    millis = seen.get(b"retry-after-ms")
    if millis is not None and (value := _number(millis)) is not None:
        return value / 1000.0
    after = seen.get(b"retry-after")
    if after is not None:
        value = _number(after)
        if value is None:
            value = _seconds_until(_http_date(after), now)
        if value is not None:
            return value
    waits = [
        wait
        for remaining, reset in _RESETS
        if seen.get(remaining) == b"0" and (wait := _go_duration(seen.get(reset))) is not None
    ]
    waits += [
        wait
        for remaining, reset in _ANTHROPIC_RESETS
        if seen.get(remaining) == b"0"
        and (wait := _seconds_until(_rfc3339(seen.get(reset)), now)) is not None
    ]
    return max(waits) if waits else None


def _number(raw: bytes) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.0 <= value < float("inf") else None


def _go_duration(raw: bytes | None) -> float | None:
    if not raw:
        return None
    text = raw.decode("latin-1")
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def _http_date(raw: bytes) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(raw.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None


def _rfc3339(raw: bytes | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw.decode("latin-1").replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds_until(when: dt.datetime | None, now: float) -> float | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)
