"""The organisation-wide rate-limit headers the real APIs send with every answer.

OpenAI's names are the ones a gateway with limits of its own also sends, so a faithful
fake must send them too: whatever sits in between has to decide whose numbers the caller
sees. Values are those of a large organisation that is nowhere near its limits, except on
the 429s a fault schedule injects, where the request limit is used up until the reset.
"""

import datetime as dt
from typing import Final

from ingate_mock.wire import Headers

OPENAI: Final[Headers] = [
    (b"x-ratelimit-limit-requests", b"10000"),
    (b"x-ratelimit-limit-tokens", b"30000000"),
    (b"x-ratelimit-remaining-requests", b"9999"),
    (b"x-ratelimit-remaining-tokens", b"29999980"),
    (b"x-ratelimit-reset-requests", b"6ms"),
    (b"x-ratelimit-reset-tokens", b"0s"),
]


def openai_exhausted(reset_s: int) -> Headers:
    """OpenAI's on a request-rate 429: no request left until ``reset_s`` from now."""
    return [
        (b"x-ratelimit-limit-requests", b"10000"),
        (b"x-ratelimit-limit-tokens", b"30000000"),
        (b"x-ratelimit-remaining-requests", b"0"),
        (b"x-ratelimit-remaining-tokens", b"29999980"),
        (b"x-ratelimit-reset-requests", duration(reset_s).encode()),
        (b"x-ratelimit-reset-tokens", b"0s"),
    ]


def duration(seconds: int) -> str:
    """A reset as OpenAI writes it: ``2s``, ``6m0s``, ``1h0m5s``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def anthropic(reset_s: int = 0, *, exhausted: bool = False) -> Headers:
    """Anthropic's: limits per minute, with the reset as an RFC 3339 time.

    The reset is ``reset_s`` from now, rounded up to a whole second (the format
    has none smaller); ``exhausted`` is a request-rate 429: no request left.
    """
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=reset_s)
    at = later.replace(microsecond=0) + dt.timedelta(seconds=1 if later.microsecond else 0)
    reset = at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return [
        (b"anthropic-ratelimit-requests-limit", b"4000"),
        (b"anthropic-ratelimit-requests-remaining", b"0" if exhausted else b"3999"),
        (b"anthropic-ratelimit-requests-reset", reset),
        (b"anthropic-ratelimit-tokens-limit", b"2000000"),
        (b"anthropic-ratelimit-tokens-remaining", b"1999980"),
        (b"anthropic-ratelimit-tokens-reset", reset),
    ]
