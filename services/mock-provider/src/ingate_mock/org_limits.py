"""The organisation-wide rate-limit headers the real APIs send with every answer.

OpenAI's names are the ones a gateway with limits of its own also sends, so a faithful
fake must send them too: whatever sits in between has to decide whose numbers the caller
sees. Values are those of a large organisation that is nowhere near its limits.
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


def anthropic() -> Headers:
    """Anthropic's: limits per minute, with the reset as an RFC 3339 time."""
    now = dt.datetime.now(dt.UTC)
    reset = (now.replace(microsecond=0) + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return [
        (b"anthropic-ratelimit-requests-limit", b"4000"),
        (b"anthropic-ratelimit-requests-remaining", b"3999"),
        (b"anthropic-ratelimit-requests-reset", reset),
        (b"anthropic-ratelimit-tokens-limit", b"2000000"),
        (b"anthropic-ratelimit-tokens-remaining", b"1999980"),
        (b"anthropic-ratelimit-tokens-reset", reset),
    ]
