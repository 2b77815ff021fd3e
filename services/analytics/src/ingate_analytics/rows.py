"""Query results as the JSON objects the lookups answer with: named as the columns, times as text.

A time is ISO 8601 in UTC with milliseconds (`2026-12-07T02:38:48.123Z`), whatever the
interface (chDB or a server) hands back, so every lookup spells every time one way.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any


def iso_time(value: dt.datetime) -> str:
    # chDB answers DateTime64(3, 'UTC') naive, a server aware: both are UTC.
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso_time(value)
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def as_objects(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{name: plain(value) for name, value in zip(columns, row, strict=True)} for row in rows]
