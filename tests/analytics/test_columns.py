"""Rows as columns for the insert, start times to the millisecond, and the sink's reusable insert context."""

import datetime as dt
import math
import random
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from ingate_analytics import COLUMNS, ClickHouseSink, to_row
from ingate_analytics.kinds import REQUESTS
from ingate_analytics.records import to_columns, ts_millis
from ingate_contracts import RequestRecord
from tests.analytics.support import Lane, make_records

# Start times where rounding to the microsecond, then cutting to the millisecond, is delicate.
TRICKY_TS = [
    1_760_000_000.0,
    1_760_000_000.0005,
    1_760_000_000.9999995,  # rounds up into the next second
    1_760_054_399.9999996,  # ... and here into the next day (UTC)
    1_760_000_000.123,
    0.0015,
    4_294_967_295.999,
]


def _millis_via_datetime(ts: float) -> int:
    """What rows of datetimes (`to_row`) become in DateTime64(3), as clickhouse-connect computes it."""
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return (math.floor(moment.timestamp()) * 1_000_000 + moment.microsecond) * 1000 // 1_000_000


@pytest.mark.parametrize("ts", TRICKY_TS)
def test_millis_round_as_datetime_does(ts: float) -> None:
    assert ts_millis(ts) == _millis_via_datetime(ts)


def test_millis_round_as_datetime_does_for_many_times() -> None:
    rng = random.Random(4)
    for _ in range(20_000):
        ts = rng.uniform(0, 2**32 - 1)
        assert ts_millis(ts) == _millis_via_datetime(ts), ts


def test_columns_are_the_rows_turned_sideways() -> None:
    records = make_records(Lane.new(), 30, seed=2)
    columns = to_columns(records)
    assert len(columns) == len(COLUMNS)
    ts = COLUMNS.index("ts")
    for i, record in enumerate(records):
        row = to_row(record)
        assert tuple(column[i] for n, column in enumerate(columns) if n != ts) == tuple(
            value for n, value in enumerate(row) if n != ts
        )
        moment = row[ts]
        assert isinstance(moment, dt.datetime)
        assert columns[ts][i] == _millis_via_datetime(record.ts)


async def test_stored_start_times_match_the_days_the_lookup_searches(sink: ClickHouseSink) -> None:
    lane = Lane.new()
    midnight = (int(time.time()) // 86_400 + 1) * 86_400  # recent: the table forgets old rows
    times = [midnight - 3600.0005, midnight - 0.0000004, midnight - 1.9999995, midnight - 7.123, midnight]
    records = [RequestRecord(ts=ts, request_id=f"req-{lane.tag}-{n}") for n, ts in enumerate(times)]
    await sink.insert(REQUESTS, records)
    rows = await sink.query(
        "SELECT request_id, toUnixTimestamp64Milli(ts) FROM ingate.requests "
        "WHERE startsWith(request_id, {p:String})",
        {"p": f"req-{lane.tag}-"},
    )
    assert dict(rows) == {r.request_id: ts_millis(r.ts) for r in records}
    assert ts_millis(times[1]) == midnight * 1000  # stored on the next day
    # The duplicate lookup bounds its search by the days it derives from `ts`.
    assert await sink.existing_ids(REQUESTS, records) == {r.request_id for r in records}


class _FailingOnceClient:
    """Enough of a clickhouse-connect client to count insert contexts; the first insert fails."""

    def __init__(self) -> None:
        self.contexts: list[object] = []
        self.inserted: list[tuple[object, int]] = []

    def create_insert_context(self, table: str, column_names: Sequence[str], **_: Any) -> object:
        context = SimpleNamespace(settings={})
        self.contexts.append(context)
        return context

    def insert(self, *, data: list[list[object]], context: object) -> None:
        if not self.inserted and len(self.contexts) == 1:
            self.inserted.append((context, -1))
            raise ConnectionResetError("the server went away mid-insert")
        self.inserted.append((context, len(data[0])))


async def test_a_failed_insert_never_reuses_its_insert_context() -> None:
    client = _FailingOnceClient()
    sink = ClickHouseSink(client)  # type: ignore[arg-type]
    records = [RequestRecord(ts=1.0e9, request_id=f"req-{n}") for n in range(3)]
    with pytest.raises(ConnectionResetError):
        await sink.insert(REQUESTS, records)
    await sink.insert(REQUESTS, records)
    await sink.insert(REQUESTS, records[:1])
    await sink.close(close_client=False)
    first, second = client.contexts
    assert client.inserted == [(first, -1), (second, 3), (second, 1)]
