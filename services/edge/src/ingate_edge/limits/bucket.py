"""Token-bucket arithmetic for per-minute limits, shared by every edge through one KV entry.

A limit of N per minute is a bucket holding at most N that refills continuously at N/60 per
second (as the big providers describe their own limits): a full bucket admits a burst of N,
then one more every 60/N seconds. The state is two numbers, the level and when it was
measured, so any replica can bring it up to date from the clock alone. The level may go
below zero: a request that used more tokens than it reserved leaves a debt that later
requests wait out.
"""

import math

import msgspec

WINDOW_S = 60.0


class BucketState(msgspec.Struct, array_like=True, frozen=True):
    level: float
    at: float  # unix seconds
    limit: int = 0  # the limit it was measured under; 0: unknown (taken as the current one)


def level_at(state: BucketState | None, limit: int, now: float) -> float:
    """The bucket's level at `now`: a bucket never written (or expired) is full.

    When the limit changed since, what was used stays used: raising a limit from 10 to 100
    leaves 90 more to take at once, lowering it may leave a debt.
    """
    if state is None:
        return float(limit)
    level = state.level
    if state.limit and state.limit != limit:
        level += limit - state.limit
    return refilled(level, state.at, limit, now)


def refilled(level: float, at: float, limit: int, now: float) -> float:
    """A level measured at `at`, refilled until `now`, never above the limit."""
    return min(float(limit), level + max(0.0, now - at) * limit / WINDOW_S)


def grant(level: float, need: float, want: float) -> float:
    """How much to take: `want` if it is there, else at least `need`, else nothing.

    Requests take whole units, so a part-filled bucket lends only what it holds in full.
    """
    if level < need:
        return 0.0
    return min(want, max(need, float(math.floor(level))))


def wait_for(level: float, need: float, limit: int) -> float:
    """Seconds until the bucket holds `need`."""
    if level >= need or limit <= 0:
        return 0.0
    return (need - level) * WINDOW_S / limit
