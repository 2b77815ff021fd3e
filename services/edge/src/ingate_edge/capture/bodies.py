"""One captured body made safe to keep: cut at the size cap, redacted, and text.

Order matters for both cost and safety. Redacting the whole of a body near the edge's
`max_body_bytes` would spend regex time on bytes that are then thrown away, but cutting first
could leave half a credential that no longer matches its pattern. So the body is cut at the
cap plus the redactor's margin (wider than any credential), redacted, and only then cut at
the cap: a credential starting before the cap lies whole inside the redacted window.
"""

from typing import NamedTuple

from ingate_edge.capture.redact import Redactor


class Kept(NamedTuple):
    text: str
    truncated: bool
    redacted: bool


def utf8_prefix(data: bytes, limit: int) -> bytes:
    """At most `limit` bytes of `data`, never ending inside a UTF-8 character."""
    if len(data) <= limit:
        return data
    end = limit
    while end > 0 and data[end] & 0xC0 == 0x80:  # a continuation byte: its character began earlier
        end -= 1
    return data[:end]


def keep(data: bytes, redactor: Redactor, max_bytes: int) -> Kept:
    """`data` (any bytes: a body that is not UTF-8 keeps U+FFFD where its bytes were not)."""
    window = utf8_prefix(data, max_bytes + redactor.margin) if len(data) > max_bytes else data
    truncated = len(window) < len(data)  # else the whole body may fit once redacted
    text, redacted = redactor.redact(window.decode("utf-8", "replace"))
    # Replacements and U+FFFD can make the text longer in bytes than what it came from.
    if len(text) * 4 > max_bytes:
        encoded = text.encode()
        if len(encoded) > max_bytes:
            text = utf8_prefix(encoded, max_bytes).decode()
            truncated = True
    return Kept(text, truncated, redacted)
