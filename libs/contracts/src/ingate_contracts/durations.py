"""How far back a report looks, as the command line and the admin API both spell it: 90s, 30m, 24h, 7d.

One parser, so `ingate usage --since`, `ingate requests list --since`, `ingate audit --since` and the
admin API's `since` accept exactly the same texts.
"""

import re
from typing import Final

_DURATION_RE: Final = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`text` in seconds; a `ValueError` saying what is expected when it is not a positive duration."""
    match = _DURATION_RE.match(text.strip())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise ValueError(f"expected a positive duration such as 90s, 30m, 24h or 7d, got {text!r}")
    return seconds
