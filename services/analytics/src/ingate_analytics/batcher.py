"""Records gathered into batches, written once each, and acknowledged only once written.

A batch is written when it holds `max_records` records or `max_delay_s` after its first
record arrived, whichever comes first. Writing one:

1. drops repeated request ids within the batch (a redelivery can land beside the original);
2. asks the sink which request ids are stored already and drops those, so the materialized
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

from ingate_analytics.sink import Sink
from ingate_contracts import RequestRecord
from ingate_contracts.usage import Stats

log = logging.getLogger("ingate.analytics")


class Delivery(Protocol):
    """The part of a JetStream message the batcher uses."""

    async def ack(self) -> None: ...

    async def in_progress(self) -> None: ...


@dataclass(frozen=True)
class Batch:
    """Records with their messages, and the request ids among them that may be stored already."""

    items: list[tuple[Delivery, RequestRecord]]
    suspects: set[str]


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
        self._items: list[tuple[Delivery, RequestRecord]] = []
        # Request ids that may already be stored (see `add`); only these are looked up.
        self._suspects: set[str] = set()
        self._opened_at = 0.0
        # Told each batch's messages once they are stored and acknowledged (metrics, traces).
        self.on_stored: Callable[[Sequence[Delivery]], None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(self, delivery: Delivery, record: RequestRecord, maybe_stored: bool = True) -> None:
        """Take a record. `maybe_stored=False` promises it cannot be in ClickHouse yet (a first
        delivery that JetStream has already de-duplicated by request id), which spares the lookup."""
        if maybe_stored:
            self._suspects.add(record.request_id)
        if not self._items:
            self._opened_at = time.monotonic()
        self._items.append((delivery, record))

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
        unique = list({record.request_id: record for _, record in reversed(items)}.values())
        deliveries = [delivery for delivery, _ in items]
        async with _keep_alive(deliveries, self.heartbeat_s):
            inserted = await self._write_until_done(unique, suspects)
        self.stats.inserted += inserted
        self.stats.duplicates += len(items) - inserted
        self.stats.batches += 1
        await _ack_all(deliveries)
        if self.on_stored is not None:
            self.on_stored(deliveries)
        return inserted

    async def _write_until_done(self, records: Sequence[RequestRecord], suspects: set[str]) -> int:
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
                check = [r for r in records if r.request_id in suspects] if first else list(records)
                first = False
                return await self._write(records, check)
        raise AssertionError("unreachable: the retries above never give up")

    async def _write(self, records: Sequence[RequestRecord], check: Sequence[RequestRecord]) -> int:
        stored = await self.sink.existing_ids(check) if check else set()
        fresh = [record for record in records if record.request_id not in stored]
        if fresh:
            await self.sink.insert(fresh)
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


async def _ack_all(deliveries: Sequence[Delivery]) -> None:
    try:
        for delivery in deliveries:
            await delivery.ack()
    except Exception as exc:  # stored already: a redelivery is recognised and skipped
        log.warning("acknowledging a stored batch failed (it will be redelivered and skipped): %s", exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
