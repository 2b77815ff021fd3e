"""Usage series as line charts drawn on the server: geometry only, the template writes the SVG.

Pure: rows in, numbers out, so a chart can be checked without a browser. A row is one group (a
user or a session) in one time bucket, as the analytics service's series lookup answers it:
`{ts, user_id | session_id, requests, tokens, cost_usd, errors}`, `ts` the bucket's start.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

WIDTH: Final = 720
HEIGHT: Final = 220
_PAD: Final = 36
# More lines than this is a tangle; the rest are summed into one.
MAX_LINES: Final = 6
# Colour-blind-safe (Okabe-Ito), the last one for "others".
_COLOURS: Final = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#777777")

Metric = Callable[[dict[str, Any]], float]

METRICS: Final[dict[str, tuple[str, Metric]]] = {
    "requests": ("Requests", lambda row: float(row.get("requests") or 0)),
    "tokens": ("Tokens (input + output)", lambda row: float(row.get("tokens") or 0)),
    "cost_usd": ("Cost (USD)", lambda row: float(row.get("cost_usd") or 0.0)),
    "errors": ("Errors", lambda row: float(row.get("errors") or 0)),
}


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    points: tuple[tuple[float, float], ...]  # (x, y) in SVG units, oldest first
    total: float


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    lines: tuple[Line, ...]
    y_max: float
    x_first: str
    x_last: str

    @property
    def empty(self) -> bool:
        return not self.lines


def bucket_time(value: Any) -> float:
    """A bucket's start as epoch seconds: the series answers a number or an ISO 8601 text."""
    if isinstance(value, int | float):
        return float(value)
    when = dt.datetime.fromisoformat(str(value))
    # ClickHouse's DateTime text carries no zone; its series are in UTC.
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _label(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def line_chart(rows: Sequence[dict[str, Any]], group_field: str, metric: str) -> Chart:
    """One line per group (the `MAX_LINES` with most requests, the others summed), x by time, y by
    `metric`."""
    title, value_of = METRICS[metric]
    per_group: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    requests: dict[str, float] = defaultdict(float)
    for row in rows:
        group = str(row.get(group_field, ""))
        per_group[group][bucket_time(row.get("ts"))] += value_of(row)
        requests[group] += float(row.get("requests") or 0)
    if not per_group:
        return Chart(title, WIDTH, HEIGHT, (), 0.0, "", "")
    # Ranked by requests whatever the metric, so every chart of one series shows the same groups
    # in the same colours.
    ranked = sorted(per_group.items(), key=lambda item: (-requests[item[0]], item[0]))
    shown = ranked[:MAX_LINES]
    if len(ranked) > MAX_LINES:
        others: dict[float, float] = defaultdict(float)
        for _, points in ranked[MAX_LINES:]:
            for when, value in points.items():
                others[when] += value
        shown.append((f"{len(ranked) - MAX_LINES} others", others))
    times = sorted({when for _, points in shown for when in points})
    y_max = max(value for _, points in shown for value in points.values()) or 1.0
    span = (times[-1] - times[0]) or 1.0

    def x(when: float) -> float:
        return _PAD + (when - times[0]) / span * (WIDTH - 2 * _PAD) if len(times) > 1 else WIDTH / 2

    def y(value: float) -> float:
        return HEIGHT - _PAD - value / y_max * (HEIGHT - 2 * _PAD)

    lines = tuple(
        Line(
            label=label or "(none)",
            colour=_COLOURS[min(index, len(_COLOURS) - 1)],
            # Every bucket of the chart, zero where this group had nothing, so a line drops to
            # the axis instead of bridging a quiet hour.
            points=tuple((round(x(when), 1), round(y(points.get(when, 0.0)), 1)) for when in times),
            total=sum(points.values()),
        )
        for index, (label, points) in enumerate(shown)
    )
    return Chart(title, WIDTH, HEIGHT, lines, y_max, _label(times[0]), _label(times[-1]))
