"""Each insert's deduplication token: the same rows give the same token, and a table that keeps
tokens (a replicated one on a cluster; here, on chDB, a MergeTree told to keep them) stores an
insert of rows it already took once, however the records were batched or ordered."""

import dataclasses
import random

from ingate_analytics import ClickHouseSink
from ingate_analytics.kinds import AUDIT, REQUESTS
from ingate_analytics.sink import deduplication_token
from ingate_contracts.audit import AuditEvent
from tests.analytics.support import Lane, make_records


def test_the_token_names_the_set_of_rows_not_their_order() -> None:
    records = make_records(Lane.new(), 50)
    shuffled = random.Random(1).sample(records, len(records))
    ordered, token = deduplication_token(REQUESTS, records)
    assert deduplication_token(REQUESTS, shuffled) == (ordered, token)
    assert [REQUESTS.record_id(r) for r in ordered] == sorted(r.request_id for r in records)
    assert deduplication_token(REQUESTS, records[1:])[1] != token
    assert deduplication_token(REQUESTS, records[:1])[1] != deduplication_token(REQUESTS, records[1:2])[1]


def test_tokens_of_different_kinds_never_meet() -> None:
    request = make_records(Lane.new(), 1)[0]
    audit = AuditEvent(ts=1.0, audit_id=request.request_id, actor="a", action="key.create", target="t")
    assert deduplication_token(AUDIT, [audit])[1] != deduplication_token(REQUESTS, [request])[1]


async def test_a_table_that_keeps_tokens_stores_a_repeated_insert_once(sink: ClickHouseSink) -> None:
    lane = Lane.new()
    table = f"ingate.dedup_{lane.tag}"
    await sink.query(
        f"CREATE TABLE {table} AS ingate.requests ENGINE = MergeTree ORDER BY (toDate(ts), request_id) "
        "SETTINGS non_replicated_deduplication_window = 100"
    )
    # A rollup fed by every insert, as the dashboards' are, into a table that keeps tokens too
    # (on a cluster the rollups are replicated): it must see each row once.
    await sink.query(
        f"CREATE TABLE {table}_rollup (one UInt8, rows UInt64) ENGINE = SummingMergeTree ORDER BY one "
        "SETTINGS non_replicated_deduplication_window = 100"
    )
    view = f"CREATE MATERIALIZED VIEW {table}_mv TO {table}_rollup AS SELECT 1 AS one, count() AS rows"
    await sink.query(f"{view} FROM {table}")  # the test's own name
    kind = dataclasses.replace(REQUESTS, table=table)
    records = make_records(lane, 40)
    try:
        await sink.insert(kind, records)
        # The same rows again, batched in another order (a redelivery, a retried insert).
        await sink.insert(kind, random.Random(2).sample(records, len(records)))
        assert await _counts(sink, table) == (40, 40)
        # Other rows are other inserts, even when they overlap.
        await sink.insert(kind, [*records[:5], *make_records(lane, 3)])
        assert await _counts(sink, table) == (48, 48)
    finally:
        await sink.query(f"DROP TABLE IF EXISTS {table}_mv")
        await sink.query(f"DROP TABLE IF EXISTS {table}_rollup")
        await sink.query(f"DROP TABLE IF EXISTS {table}")


async def _counts(sink: ClickHouseSink, table: str) -> tuple[int, int]:
    """Rows in the table, and rows its rollup counted. `table` is the test's own name."""
    [(rows,)] = await sink.query(f"SELECT count() FROM {table}")  # noqa: S608
    [(rolled,)] = await sink.query(f"SELECT sum(rows) FROM {table}_rollup")  # noqa: S608
    return int(rows), int(rolled)
