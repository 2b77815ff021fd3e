"""How a route orders its targets for one request: weighted, least-busy, or latency.

A strategy is given the indexes of the route's targets that are not cooling down, and
returns them in the order to try them. What it knows of a target is what this edge
observed (`TargetLoad`: requests in flight, smoothed time to first byte), shared by every
route that names the same deployment.
"""

import itertools
from collections.abc import Sequence
from typing import Final, Protocol

# Weight of the newest time-to-first-byte sample in a target's moving average.
_EWMA_ALPHA: Final = 0.3
# The latency strategy sends every this-many-th request to the target measured longest ago,
# so a target that was slow once is measured again rather than avoided forever.
_EXPLORE_EVERY: Final = 16
# Orders samples across deployments (a counter, not a clock: two samples never tie).
_SAMPLE_SEQUENCE: Final = itertools.count(1)


class TargetLoad:
    """What this edge observed of one deployment."""

    __slots__ = ("in_flight", "measured_at", "ttfb_ms")

    def __init__(self) -> None:
        self.in_flight = 0
        self.ttfb_ms: float | None = None  # None until the first answer
        self.measured_at = 0  # sequence number of the last sample

    def observe_ttfb(self, ms: float) -> None:
        previous = self.ttfb_ms
        self.ttfb_ms = ms if previous is None else previous + _EWMA_ALPHA * (ms - previous)
        self.measured_at = next(_SAMPLE_SEQUENCE)


class Strategy(Protocol):
    def order(self, ready: list[int]) -> list[int]:
        """`ready` (indexes of the route's targets) in the order to try them, first choice first."""
        ...


class _Ordering:
    """What every strategy is built from: the route's weights and its targets' loads."""

    def __init__(self, weights: Sequence[int], loads: Sequence[TargetLoad]) -> None:
        self._weights = tuple(weights)
        self._loads = tuple(loads)
        self._turn = 0


class Weighted(_Ordering):
    """Smooth weighted round robin (as nginx does): exact shares, interleaved rather than bursty.

    With weights 3 and 1 the picks run A A B A, A A B A, … so every four requests split 3:1.
    """

    def __init__(self, weights: Sequence[int], loads: Sequence[TargetLoad]) -> None:
        super().__init__(weights, loads)
        self._current = [0] * len(weights)

    def order(self, ready: list[int]) -> list[int]:
        if len(ready) == 1:
            return ready
        current = self._current
        total = 0
        best = ready[0]
        for index in ready:
            current[index] += self._weights[index]
            total += self._weights[index]
            if current[index] > current[best]:
                best = index
        current[best] -= total
        return [best, *(index for index in ready if index != best)]


class LeastBusy(_Ordering):
    """Fewest requests in flight on this edge; ties go round in turn so idle traffic spreads."""

    def order(self, ready: list[int]) -> list[int]:
        self._turn += 1
        start = self._turn % len(ready)
        rotated = ready[start:] + ready[:start]
        return sorted(rotated, key=lambda index: self._loads[index].in_flight)


class Latency(_Ordering):
    """Lowest moving average of time to first byte; unmeasured targets are tried first."""

    def order(self, ready: list[int]) -> list[int]:
        self._turn += 1
        loads = self._loads
        ordered = sorted(ready, key=lambda index: _latency_key(loads[index]))
        if self._turn % _EXPLORE_EVERY == 0 and len(ordered) > 1:
            stalest = min(ordered, key=lambda index: loads[index].measured_at)
            ordered.remove(stalest)
            ordered.insert(0, stalest)
        return ordered


def _latency_key(load: TargetLoad) -> float:
    return -1.0 if load.ttfb_ms is None else load.ttfb_ms


STRATEGIES: Final[dict[str, type[Weighted] | type[LeastBusy] | type[Latency]]] = {
    "weighted": Weighted,
    "least-busy": LeastBusy,
    "latency": Latency,
}
