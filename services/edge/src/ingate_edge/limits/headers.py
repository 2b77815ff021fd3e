"""The OpenAI-style rate-limit headers, which SDKs and dashboards already understand.

They go out on every response of a limited key, so they are built as bytes directly.
"""

import math

Headers = list[tuple[bytes, bytes]]
HeaderNames = tuple[bytes, bytes, bytes]


def duration(seconds: float) -> bytes:
    """OpenAI's reset format: "20ms", "1.5s", "6m0s"."""
    if seconds <= 0.0:
        return b"0ms"
    if seconds < 1.0:
        return b"%dms" % math.ceil(seconds * 1000)
    if seconds < 60.0:
        return (b"%.3f" % seconds).rstrip(b"0").rstrip(b".") + b"s"
    minutes, rest = divmod(math.ceil(seconds), 60)
    return b"%dm%ds" % (minutes, rest)


def header_names(kind: bytes) -> HeaderNames:
    """Limit, remaining and reset header names; `kind` is b"requests" or b"tokens"."""
    return (b"x-ratelimit-limit-" + kind, b"x-ratelimit-remaining-" + kind, b"x-ratelimit-reset-" + kind)


def retry_headers(seconds: float) -> Headers:
    # retry-after in whole seconds (HTTP); retry-after-ms for the SDKs that read it.
    return [
        (b"retry-after", b"%d" % max(1, math.ceil(seconds))),
        (b"retry-after-ms", b"%d" % max(1, math.ceil(seconds * 1000))),
    ]
