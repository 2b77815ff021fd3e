"""When a catalog price next changes, so that a memoized price is resolved again from then on.

The catalog prices some models by the time of day (DeepSeek's peak and off-peak hours) and
announces price changes ahead with a start date; a price resolved once and kept would go on
charging the old rate.
"""

import math
from datetime import UTC, datetime, time, timedelta

from genai_prices.types import ModelInfo, StartDateConstraint, TimeOfDateConstraint

_DAY = timedelta(days=1)


def next_change(info: ModelInfo, now: datetime) -> float:
    """The first instant after `now` (UTC) at which one of `info`'s conditional prices starts or
    stops applying, as a POSIX timestamp; infinity for a price without conditions."""
    if not isinstance(info.prices, list):
        return math.inf
    changes: list[datetime] = []
    for conditional in info.prices:
        constraint = conditional.constraint
        if isinstance(constraint, StartDateConstraint) and constraint.start_date > now.date():
            changes.append(datetime.combine(constraint.start_date, time(), UTC))
        elif isinstance(constraint, TimeOfDateConstraint):
            changes += (_next_time_of_day(edge, now) for edge in (constraint.start_time, constraint.end_time))
    return min((change.timestamp() for change in changes), default=math.inf)


def _next_time_of_day(at: time, now: datetime) -> datetime:
    """The next moment after `now` whose time of day is `at` (naive: UTC), as the catalog reads it."""
    moment = datetime.combine(now.date(), at.replace(tzinfo=at.tzinfo or UTC)).astimezone(UTC)
    while moment > now + _DAY:
        moment -= _DAY
    while moment <= now:
        moment += _DAY
    return moment
