"""An in-process consumer for one test lane, and a sink that fails on demand."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from nats.js import JetStreamContext

from ingate_analytics import Backoff, Batcher, EventConsumer, Sink
from ingate_analytics.kinds import Record, RecordKind
from ingate_contracts.subjects import EVENTS_STREAM
from ingate_contracts.usage import Stats
from tests.analytics.support import Lane


class FlakySink:
    """Passes calls to a real sink, except while `down`: then every call fails like a lost server."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self.down = False
        self.failures = 0

    def _check(self) -> None:
        if self.down:
            self.failures += 1
            raise ConnectionRefusedError("ClickHouse is down (simulated)")

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        self._check()
        return await self.inner.existing_ids(kind, records)

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        self._check()
        await self.inner.insert(kind, records)


class StallAfterInsert:
    """Inserts, then never returns: the moment a process dies between insert and ack."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self.inserted = asyncio.Event()
        self.count = 0

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        return await self.inner.existing_ids(kind, records)

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        await self.inner.insert(kind, records)
        self.count += len(records)
        self.inserted.set()
        await asyncio.Event().wait()


class GatedSink:
    """Passes calls to a real sink, but holds every insert until `gate` is set."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.held = 0  # inserts waiting at the gate

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        return await self.inner.existing_ids(kind, records)

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        self.held += 1
        await self.gate.wait()
        self.held -= 1
        await self.inner.insert(kind, records)


@asynccontextmanager
async def running_consumer(
    js: JetStreamContext,
    lane: Lane,
    sink: Sink,
    *,
    batch_size: int = 100,
    flush_s: float = 0.05,
    ack_wait_s: float = 2.0,
    stop_grace_s: float = 5.0,
    pull_expires_s: float = 1.0,
    keep: bool = False,
) -> AsyncIterator[EventConsumer]:
    """A consumer of the lane's subject, running until the block ends (then stopped gracefully).

    Its durable consumer is deleted afterwards unless `keep` (for a successor to take over)."""
    batcher = Batcher(
        sink,
        Stats(),
        max_records=batch_size,
        max_delay_s=flush_s,
        heartbeat_s=ack_wait_s / 3,
        backoff=Backoff(initial_s=0.05, max_s=0.2, jitter_s=0.0),
    )
    consumer = EventConsumer(
        js,
        batcher,
        durable=lane.durable,
        filter_subject=lane.subject,
        ack_wait_s=ack_wait_s,
        stop_grace_s=stop_grace_s,
        pull_expires_s=pull_expires_s,
    )
    await consumer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield consumer
    finally:
        stop.set()
        await task
        if not keep:
            await js.delete_consumer(EVENTS_STREAM, lane.durable)
