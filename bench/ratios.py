"""Per-round ratios of two variants and their spread: the arithmetic of an A/B run.

Pure functions, no I/O. A ratio is taken within each round (B's figure over A's, both
measured minutes apart at most, so the machine's drift cancels) and then summarised over
rounds: its median, its middle half (the interquartile range) and its range. A
difference smaller than the spread is noise.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """Median, quartiles and extremes of one figure over rounds."""

    median: float
    q1: float
    q3: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        if not values:
            raise ValueError("no values to summarise")
        ordered = sorted(values)
        if len(ordered) == 1:
            only = ordered[0]
            return cls(only, only, only, only, only)
        # "inclusive": quartiles stay inside the observed values even for a handful of rounds.
        q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(median, q1, q3, ordered[0], ordered[-1])

    def excludes(self, value: float) -> bool:
        """Whether `value` lies outside the middle half: a change larger than the noise."""
        return value < self.q1 or value > self.q3


def ratios(baseline: Sequence[float], candidate: Sequence[float]) -> list[float]:
    """Candidate over baseline, round by round."""
    if len(baseline) != len(candidate):
        raise ValueError(f"{len(baseline)} baseline values but {len(candidate)} candidate values")
    return [b / a for a, b in zip(baseline, candidate, strict=True)]


def added(through: Sequence[float], direct: Sequence[float]) -> list[float]:
    """What the edge adds, round by round: the figure through it minus the same figure direct."""
    if len(through) != len(direct):
        raise ValueError(f"{len(through)} values through the edge but {len(direct)} direct")
    return [t - d for t, d in zip(through, direct, strict=True)]


@dataclass(frozen=True)
class Comparison:
    """One figure of an A/B run: A's and B's medians over rounds and the per-round B/A ratio."""

    figure: str
    unit: str
    baseline: float
    candidate: float
    ratio: Spread

    @classmethod
    def of(
        cls, figure: str, unit: str, baseline: Sequence[float], candidate: Sequence[float]
    ) -> "Comparison":
        return cls(
            figure,
            unit,
            statistics.median(baseline),
            statistics.median(candidate),
            Spread.of(ratios(baseline, candidate)),
        )

    @property
    def beyond_noise(self) -> bool:
        """Whether the whole middle half of the ratios lies on one side of 1."""
        return self.ratio.excludes(1.0)
