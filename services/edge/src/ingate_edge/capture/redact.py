"""What must never leave the edge in a captured body: credentials, Ingate keys, and whatever the
operator's `payloads.redact` patterns match, each replaced with `[REDACTED]`."""

import re
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[REDACTED]"
# Any Ingate key, admin tokens (sk-ingate-admin-…) included: the prefix and key characters.
INGATE_KEY_PATTERN: Final = r"sk-ingate-[A-Za-z0-9_-]+"
# A cut body is first cut this much (or a credential's length) past the cap, redacted, then
# cut at the cap: see `Redactor.margin`.
_MIN_MARGIN: Final = 4096


class Redactor:
    """Compiled once at start. `credentials`: every provider credential the edge holds;
    `patterns`: the operator's regexes (checked to compile when the config was loaded)."""

    __slots__ = ("_patterns", "margin")

    def __init__(self, credentials: Iterable[str], patterns: Iterable[str]) -> None:
        # Longest first, so a credential containing another is replaced whole.
        literals = sorted({c for c in credentials if c}, key=len, reverse=True)
        builtin = "|".join([INGATE_KEY_PATTERN, *(re.escape(c) for c in literals)])
        # The operator's patterns run one by one: joined into one alternation, their own
        # groups, flags and anchors would change meaning.
        self._patterns = [re.compile(builtin), *(re.compile(p) for p in patterns)]
        # Wider than any credential, so one that starts before the cap is whole inside the
        # window that is redacted; an Ingate key's pattern matches any prefix of a key.
        self.margin = max([_MIN_MARGIN, *(len(c.encode()) + 1 for c in literals)])

    def redact(self, text: str) -> tuple[str, bool]:
        """`text` with every match replaced, and whether anything was."""
        changed = False
        for pattern in self._patterns:
            text, count = pattern.subn(REDACTED, text)
            changed = changed or count > 0
        return text, changed
