"""ClickHouse behind an async face: which ids of a kind are stored, store new rows, run a query.

clickhouse-connect clients block, and a client must not be used by two threads at once.
Every call therefore runs on one dedicated worker thread: the event loop keeps serving
NATS (heart-beats, acks, usage queries) while ClickHouse works, and calls queue up in
order instead of overlapping, even when an awaiting coroutine is cancelled mid-call.

Inserts go column by column through one reusable insert context per table: clickhouse-connect would
otherwise ask the server for the table's column types before every insert, and regroup
rows into columns itself. Whatever clickhouse-connect imports lazily on the first insert
(pandas, when installed, to check whether the data is a DataFrame: a second or so) is
imported when the sink is made, so the first batch does not wait for it.

Every insert carries an `insert_deduplication_token` naming the set of ids of the rows it holds,
and its rows go in id order. A replicated table (a ClickHouse cluster) keeps the tokens of its
recent inserts in Keeper, for every replica of the shard, and drops an insert whose token it has
seen: a retry of an insert that timed out but had landed, or a batch of the same records written
again, is stored once, and the materialized rollups are fed once (each view's block carries a
token derived from the insert's, checked by the view's replicated table). Without a token
ClickHouse compares a hash of the block, which needs the same rows in the same order. One server
or chDB keeps no tokens (its tables have no deduplication window) and ignores it.
"""

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, Protocol, TypeVar

from clickhouse_connect.driver import options
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.insert import InsertContext

from ingate_analytics.kinds import Record, RecordKind

_T = TypeVar("_T")

DEDUPLICATION_TOKEN: Final = "insert_deduplication_token"  # noqa: S105  # a setting's name


class Sink(Protocol):
    """Where batches go. The batcher needs only these two calls."""

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]: ...

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None: ...


class ClickHouseSink:
    def __init__(self, client: Client) -> None:
        self.client = client
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
        self._worker.submit(_import_insert_dependencies)
        # By table; used and replaced on the worker only.
        self._insert_contexts: dict[str, InsertContext] = {}

    async def run(self, work: Callable[[Client], _T]) -> _T:
        """Run `work(client)` on the ClickHouse thread and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, work, self.client)

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        if not records:
            return set()
        days = [dt.datetime.fromtimestamp(r.ts, dt.UTC).date() for r in records]
        parameters = {"first": min(days), "last": max(days), "ids": [kind.record_id(r) for r in records]}
        rows = await self.query(kind.existing_sql(), parameters)
        return {str(row[0]) for row in rows}

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        def work(client: Client) -> None:
            # Columns are built on the ClickHouse thread too, off the loop that pulls and acks.
            ordered, token = deduplication_token(kind, records)
            columns = kind.to_columns(ordered)
            # A failed insert may leave its context holding data: taken out, put back only after success.
            context = self._insert_contexts.pop(kind.table, None)
            if context is None:
                context = client.create_insert_context(kind.table, list(kind.columns), column_oriented=True)
            context.settings[DEDUPLICATION_TOKEN] = token
            context.settings["deduplicate_blocks_in_dependent_materialized_views"] = 1
            client.insert(data=columns, context=context)
            self._insert_contexts[kind.table] = context

        await self.run(work)

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        def work(client: Client) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]

        return await self.run(work)

    async def close(self, *, close_client: bool = True) -> None:
        """Let the calls already queued finish, then close the client (unless told not to)."""

        def finish(client: Client) -> None:
            if close_client:
                client.close()

        await self.run(finish)
        self._worker.shutdown(wait=False)


def deduplication_token(kind: RecordKind, records: Sequence[Record]) -> tuple[list[Record], str]:
    """The records in id order, and the token naming an insert of exactly these rows: the same set
    of ids gives the same block and token, however the records were batched or delivered."""
    ordered = sorted(records, key=kind.record_id)
    digest = hashlib.sha256()
    for record in ordered:
        digest.update(kind.record_id(record).encode())
        digest.update(b"\n")
    return ordered, f"ingate-{kind.name}-{len(ordered)}-{digest.hexdigest()}"


def _import_insert_dependencies() -> None:
    # Touching these makes clickhouse-connect resolve (import) them now.
    _ = options.pd, options.np
