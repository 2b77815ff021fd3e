"""One request record per request onto JetStream, off the hot path, never lost silently.

`emit` only encodes and queues. A background task publishes with asynchronous
acks (`Nats-Msg-Id` = request id, so a re-publish is not stored twice) and puts
back whatever was not acknowledged. While NATS is away the spool holds records
(memory, then file); at shutdown what is left goes to the file for next time.
"""

import asyncio
import contextlib
import logging

import msgspec
from nats.aio.client import Client
from nats.js import JetStreamContext

from ingate_contracts import RequestRecord
from ingate_contracts.subjects import events_subject
from ingate_edge.spool import Pending, Spool

log = logging.getLogger("ingate.edge.publish")

_encode = msgspec.json.Encoder().encode
_BATCH = 512
_ACK_TIMEOUT_S = 5.0


class RecordPublisher:
    def __init__(self, spool: Spool, enabled: bool = True) -> None:
        self.spool = spool
        self.enabled = enabled
        self._client: Client | None = None
        # One context per connection: each context subscribes its own reply inbox for acks.
        self._js: JetStreamContext | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.failed_attempts = 0

    def attach(self, client: Client) -> None:
        self._client = client
        self._js = client.jetstream()
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingate-record-publisher")

    def emit(self, record: RequestRecord) -> None:
        if not self.enabled:
            return
        self.spool.put(Pending(events_subject(record.provider or "none"), record.request_id, _encode(record)))
        self._wake.set()

    async def stop(self, drain_timeout_s: float = 2.0) -> None:
        """Publish what can be published quickly, then keep the rest in the spool file."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained(), drain_timeout_s)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.spool.persist()

    async def _drained(self) -> None:
        while len(self.spool) or self.spool.file_bytes:
            self._wake.set()
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            client, js = self._client, self._js
            if client is None or js is None or not client.is_connected:
                await asyncio.sleep(0.25)
                self._wake.set()
                continue
            while True:
                items, offset = self.spool.take(_BATCH)
                if not items:
                    break
                if not await self._publish(js, items):
                    if offset is None:
                        self.spool.put_back(items)
                    self.failed_attempts += 1
                    await asyncio.sleep(0.5)
                    self._wake.set()
                    break
                if offset is not None:
                    self.spool.commit_file(offset)

    async def _publish(self, js: JetStreamContext, items: list[Pending]) -> bool:
        """Publish a batch with async acks; True when every record is stored."""
        try:
            futures = [
                await js.publish_async(item.subject, item.payload, headers={"Nats-Msg-Id": item.msg_id})
                for item in items
            ]
        except Exception as exc:
            log.warning("publishing %d request records failed: %s", len(items), exc)
            return False
        # One wait for the whole batch (a wait_for per record would cost a task each).
        _, late = await asyncio.wait(futures, timeout=_ACK_TIMEOUT_S)
        for future in late:
            future.cancel()
        failures = [f for f in futures if f.cancelled() or f.exception() is not None]
        if failures:
            first = "no acknowledgement in time" if failures[0].cancelled() else failures[0].exception()
            log.warning("%d of %d request records not stored: %s", len(failures), len(items), first)
            return False
        self.published += len(items)
        return True
