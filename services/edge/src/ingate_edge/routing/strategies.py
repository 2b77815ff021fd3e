"""How a route orders its targets for one request: weighted, least-busy, or latency.

A strategy sees only the targets that are not cooling down, and returns them in the
order to try them. Each keeps its state per edge process: in-flight counts and
time-to-first-byte averages are what this edge itself observed.
"""

from collections.abc import Sequence
from typing import Final, Protocol

# Weight of the newest time-to-first-byte sample in a target's moving average.
_EWMA_ALPHA: Final = 0.3
# The latency strategy sends every this-many-th request to the target measured longest ago,
# so a target that was slow once is measured again rather than avoided forever.
_EXPLORE_EVERY: Final = 16


class TargetLoad:
    """What this edge observed of one target: requests in flight, smoothed time to first byte."""

    __slots__ = ("current", "in_flight", "measured_at", "ttfb_ms", "weight")

    def __init__(self, weight: int) -> None:
        self.weight = weight
        self.current = 0  # smooth weighted round robin's running weight
        self.in_flight = 0
        self.ttfb_ms: float | None = None  # None until the first answer
        self.measured_at = 0  # the pick count when ttfb_ms was last updated

    def observe_ttfb(self, ms: float, pick: int) -> None:
        previous = self.ttfb_ms
        self.ttfb_ms = ms if previous is None else previous + _EWMA_ALPHA * (ms - previous)
        self.measured_at = pick


class Strategy(Protocol):
    picks: int

    def order(self, loads: Sequence[TargetLoad]) -> list[int]:
        """Indexes into `loads`, in the order to try them (all of them, first choice first)."""
        ...


class Weighted:
    """Smooth weighted round robin (as nginx does): exact shares, interleaved rather than bursty.

    With weights 3 and 1 the picks run A A B A, A A B A, … so every four requests split 3:1.
    """

    def __init__(self) -> None:
        self.picks = 0

    def order(self, loads: Sequence[TargetLoad]) -> list[int]:
        self.picks += 1
        if len(loads) == 1:
            return [0]
        total = 0
        best = 0
        for index, load in enumerate(loads):
            load.current += load.weight
            total += load.weight
            if load.current > loads[best].current:
                best = index
        loads[best].current -= total
        return _first(best, len(loads))


class LeastBusy:
    """Fewest requests in flight on this edge; ties go round in turn so idle traffic spreads."""

    def __init__(self) -> None:
        self.picks = 0

    def order(self, loads: Sequence[TargetLoad]) -> list[int]:
        self.picks += 1
        count = len(loads)
        start = self.picks % count
        rotated = [(start + offset) % count for offset in range(count)]
        return sorted(rotated, key=lambda index: loads[index].in_flight)


class Latency:
    """Lowest moving average of time to first byte; unmeasured targets are tried first."""

    def __init__(self) -> None:
        self.picks = 0

    def order(self, loads: Sequence[TargetLoad]) -> list[int]:
        self.picks += 1
        indexes = sorted(range(len(loads)), key=lambda index: _latency_key(loads[index]))
        if self.picks % _EXPLORE_EVERY == 0 and len(indexes) > 1:
            stalest = min(indexes, key=lambda index: loads[index].measured_at)
            indexes.remove(stalest)
            indexes.insert(0, stalest)
        return indexes


def _latency_key(load: TargetLoad) -> float:
    return -1.0 if load.ttfb_ms is None else load.ttfb_ms


def _first(best: int, count: int) -> list[int]:
    return [best, *(index for index in range(count) if index != best)]


STRATEGIES: Final[dict[str, type[Weighted] | type[LeastBusy] | type[Latency]]] = {
    "weighted": Weighted,
    "least-busy": LeastBusy,
    "latency": Latency,
}
