"""The OpenAI-style rate-limit headers, which SDKs and dashboards already understand."""

import math


def duration(seconds: float) -> str:
    """OpenAI's reset format: "20ms", "1.5s", "6m0s"."""
    if seconds <= 0.0:
        return "0ms"
    if seconds < 1.0:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    if seconds < 60.0:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    minutes, rest = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{rest}s"


def limit_headers(kind: bytes, limit: int, remaining: float, reset_s: float) -> list[tuple[bytes, bytes]]:
    """`kind` is b"requests" or b"tokens"."""
    return [
        (_LIMIT[kind], str(limit).encode()),
        (_REMAINING[kind], str(max(0, math.floor(remaining))).encode()),
        (_RESET[kind], duration(reset_s).encode()),
    ]


_KINDS = (b"requests", b"tokens")
_LIMIT = {kind: b"x-ratelimit-limit-" + kind for kind in _KINDS}
_REMAINING = {kind: b"x-ratelimit-remaining-" + kind for kind in _KINDS}
_RESET = {kind: b"x-ratelimit-reset-" + kind for kind in _KINDS}


def retry_headers(seconds: float) -> list[tuple[bytes, bytes]]:
    # retry-after in whole seconds (HTTP); retry-after-ms for the SDKs that read it.
    return [
        (b"retry-after", str(max(1, math.ceil(seconds))).encode()),
        (b"retry-after-ms", str(max(1, math.ceil(seconds * 1000))).encode()),
    ]
