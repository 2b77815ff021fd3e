"""Records gathered into batches, written once each, and acknowledged only once written.

A batch is written when it holds `max_records` records or `max_delay_s` after its first
record arrived, whichever comes first. Writing one:

1. drops repeated ids within the batch (a redelivery can land beside the original): request ids
   for request records and payloads, audit ids for audit rows, each kind in its own table;
2. asks the sink which of those ids are stored already and drops those, so the materialized
   rollups, fed by every insert, never count a request twice;
3. inserts the rest; when that fails (ClickHouse away, a timeout) the same batch is tried
   again with exponential backoff, for as long as it takes, while its messages are told
   `in_progress` so JetStream does not hand them to anyone else meanwhile;
4. acknowledges every message of the batch, duplicates included, only after the insert
   returned. A crash before that leaves them unacknowledged: they come round again and
   step 2 drops whatever did land.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import stamina

from ingate_analytics.kinds import REQUESTS, Record, RecordKind
from ingate_analytics.sink import Sink
from ingate_contracts.usage import Stats

log = logging.getLogger("ingate.analytics")


class Delivery(Protocol):
    """The part of a JetStream message the batcher uses."""

    async def ack(self) -> None: ...

    async def in_progress(self) -> None: ...


# A record's identity across kinds: its kind's name and its id.
Key = tuple[str, str]


@dataclass(frozen=True)
class Batch:
    """Records with their messages and kinds, and the keys among them that may be stored already."""

    items: list[tuple[Delivery, RecordKind, Record]]
    suspects: set[Key]


@dataclass(frozen=True)
class Backoff:
    """Waits between write attempts: `initial_s`, doubling up to `max_s`, plus up to `jitter_s`."""

    initial_s: float = 0.2
    max_s: float = 10.0
    jitter_s: float = 0.5


class Batcher:
    def __init__(
        self,
        sink: Sink,
        stats: Stats,
        *,
        max_records: int,
        max_delay_s: float,
        heartbeat_s: float,
        backoff: Backoff | None = None,
    ) -> None:
        if max_records < 1 or max_delay_s <= 0 or heartbeat_s <= 0:
            raise ValueError("max_records, max_delay_s and heartbeat_s must be positive")
        self.sink = sink
        self.stats = stats
        self.max_records = max_records
        self.max_delay_s = max_delay_s
        self.heartbeat_s = heartbeat_s
        self.backoff = backoff or Backoff()
        self._items: list[tuple[Delivery, RecordKind, Record]] = []
        # Records that may already be stored (see `add`); only these are looked up.
        self._suspects: set[Key] = set()
        self._opened_at = 0.0
        # Told each batch's messages once they are stored and acknowledged (metrics, traces).
        self.on_stored: Callable[[Sequence[Delivery]], None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(
        self, delivery: Delivery, record: Record, maybe_stored: bool = True, kind: RecordKind = REQUESTS
    ) -> None:
        """Take a record of `kind`. `maybe_stored=False` promises it cannot be in ClickHouse yet (a
        first delivery that JetStream has already de-duplicated by its id), which spares the lookup."""
        if maybe_stored:
            self._suspects.add((kind.name, kind.record_id(record)))
        if not self._items:
            self._opened_at = time.monotonic()
        self._items.append((delivery, kind, record))

    @property
    def room(self) -> int:
        """How many more records the open batch takes before it is full."""
        return max(0, self.max_records - len(self._items))

    def time_left(self) -> float | None:
        """Seconds until the open batch is due by time; None when there is no open batch."""
        if not self._items:
            return None
        return self._opened_at + self.max_delay_s - time.monotonic()

    @property
    def due(self) -> bool:
        left = self.time_left()
        return left is not None and (self.room == 0 or left <= 0)

    async def flush(self) -> int:
        """Write the open batch and acknowledge it; return how many rows were inserted."""
        return await self.write(self.take())

    def take(self) -> Batch:
        """Close the open batch and hand it over for `write`; `add` starts a new one."""
        batch = Batch(self._items, self._suspects)
        self._items, self._suspects = [], set()
        return batch

    async def write(self, batch: Batch) -> int:
        """Write a batch taken from this batcher and acknowledge it; return how many rows were inserted."""
        items, suspects = batch.items, batch.suspects
        if not items:
            return 0
        deliveries = [delivery for delivery, _, _ in items]
        async with _keep_alive(deliveries, self.heartbeat_s):
            inserted = await self._write_until_done(_unique_by_kind(items), suspects)
        self.stats.inserted += inserted
        self.stats.duplicates += len(items) - inserted
        self.stats.batches += 1
        await _ack_all(deliveries)
        if self.on_stored is not None:
            self.on_stored(deliveries)
        return inserted

    async def _write_until_done(self, groups: dict[RecordKind, list[Record]], suspects: set[Key]) -> int:
        retries = stamina.retry_context(
            on=self._failed,
            attempts=None,
            timeout=None,
            wait_initial=self.backoff.initial_s,
            wait_max=self.backoff.max_s,
            wait_jitter=self.backoff.jitter_s,
        )
        first = True
        async for attempt in retries:
            with attempt:
                # After a failed attempt every record is a suspect: that insert may have landed.
                only_suspects, first = first, False
                inserted = 0
                for kind, records in groups.items():
                    check = (
                        [r for r in records if (kind.name, kind.record_id(r)) in suspects]
                        if only_suspects
                        else records
                    )
                    inserted += await self._write(kind, records, check)
                return inserted
        raise AssertionError("unreachable: the retries above never give up")

    async def _write(self, kind: RecordKind, records: Sequence[Record], check: Sequence[Record]) -> int:
        stored = await self.sink.existing_ids(kind, check) if check else set()
        fresh = [record for record in records if kind.record_id(record) not in stored]
        if fresh:
            await self.sink.insert(kind, fresh)
        return len(fresh)

    def _failed(self, exc: BaseException) -> bool:
        if not isinstance(exc, Exception):  # a cancellation: never swallowed into a retry
            return False
        self.stats.insert_failures += 1
        log.warning("writing a batch to ClickHouse failed, will retry: %s", _one_line(exc))
        return True


@contextlib.asynccontextmanager
async def _keep_alive(deliveries: Sequence[Delivery], every_s: float) -> AsyncIterator[None]:
    """Tell JetStream every `every_s` that these messages are still being worked on."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                for delivery in deliveries:
                    await delivery.in_progress()
            except Exception as exc:  # NATS away: they may be redelivered, and deduplicated then
                log.debug("in-progress signal failed: %s", exc)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _unique_by_kind(items: Sequence[tuple[Delivery, RecordKind, Record]]) -> dict[RecordKind, list[Record]]:
    """Each kind's records, one per id (the first delivered of copies, as they are the same)."""
    groups: dict[RecordKind, dict[str, Record]] = {}
    for _, kind, record in items:
        groups.setdefault(kind, {}).setdefault(kind.record_id(record), record)
    return {kind: list(records.values()) for kind, records in groups.items()}


async def _ack_all(deliveries: Sequence[Delivery]) -> None:
    try:
        for delivery in deliveries:
            await delivery.ack()
    except Exception as exc:  # stored already: a redelivery is recognised and skipped
        log.warning("acknowledging a stored batch failed (it will be redelivered and skipped): %s", exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
