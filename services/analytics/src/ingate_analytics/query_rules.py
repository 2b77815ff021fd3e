"""What every query the analytics service answers must satisfy, and the time window they share.

One place for the rules, so `ingate usage`, the lookups and the series refuse the same inputs with
the same words: an id longer than a key's `--user` may be, a window that is not a positive number
of seconds, a limit below one.
"""

import math
from typing import Any, Final

from ingate_contracts.usage import MAX_ID_LENGTH

# The window's condition; the start is a bound parameter, in milliseconds as `ts` is stored.
SINCE_CONDITION: Final = "ts >= fromUnixTimestamp64Milli({since_ms:Int64})"


class BadQuery(ValueError):
    """A query that decodes but asks for something not answerable; the text says what, in one line."""


def check_id(name: str, value: str) -> None:
    """Ids in a query are at most MAX_ID_LENGTH characters, as `ingate keys create --user` allows."""
    if len(value) > MAX_ID_LENGTH:
        raise BadQuery(f"{name} must be at most {MAX_ID_LENGTH} characters")


def check_since(since_s: float) -> None:
    if not (math.isfinite(since_s) and since_s > 0):
        raise BadQuery("since_s must be a positive number of seconds")


def check_limit(limit: int) -> None:
    if limit < 1:
        raise BadQuery("limit must be at least 1")


def since_parameters(since_s: float, now_s: float) -> dict[str, Any]:
    """The parameters of SINCE_CONDITION: rows from `since_s` seconds before `now_s` on."""
    return {"since_ms": math.floor((now_s - since_s) * 1000)}
