"""The durable JetStream pull consumer: fetch records, hand them to the batcher, dead-letter the rest.

One loop: fetch as many messages as the open batch has room for (waiting no longer than
the batch may stay open), decode each, and write the batch when it is due. A message that
is not a storable record is copied to the dead-letter stream, with the reason and its
original subject in headers, and terminated: it is never retried.

The acknowledgement wait is short because nothing waits unattended for long: a batch is
written at most `max_delay_s` after its first record arrived, and while it is being
written (ClickHouse slow or away) its messages are told `in_progress`. A crashed process's
messages therefore come round again within `ack_wait_s` of the crash.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any, Final

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ingate_analytics.batcher import Batcher
from ingate_analytics.records import InvalidRecord, decode_record
from ingate_contracts import RequestRecord
from ingate_contracts.subjects import (
    ANALYTICS_CONSUMER,
    DEADLETTER_SUBJECT,
    EVENTS_STREAM,
    EVENTS_STREAM_SUBJECTS,
)
from ingate_contracts.usage import Stats

log = logging.getLogger("ingate.analytics")

ACK_WAIT_S: Final = 10.0
# Once asked to stop, how long a batch still being written may take before it is given up
# (unacknowledged, so it comes round again).
STOP_GRACE_S: Final = 10.0
# Headers on a dead-lettered message.
DEADLETTER_REASON_HEADER: Final = "Ingate-Deadletter-Reason"
ORIGINAL_SUBJECT_HEADER: Final = "Ingate-Original-Subject"

_FETCH_MAX: Final = 5000  # messages per pull request
_IDLE_FETCH_S: Final = 1.0  # longest wait for messages, so a stop is noticed within it
_MIN_FETCH_S: Final = 0.01
_STATS_LOG_EVERY_S: Final = 60.0
_NATS_TROUBLE_PAUSE_S: Final = 0.5


class EventConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        batcher: Batcher,
        *,
        durable: str = ANALYTICS_CONSUMER,
        filter_subject: str = EVENTS_STREAM_SUBJECTS,
        ack_wait_s: float = ACK_WAIT_S,
        stop_grace_s: float = STOP_GRACE_S,
        duplicate_window_s: float = 0.0,
    ) -> None:
        self.js = js
        # JetStream drops a re-publish of a request id within this window (Nats-Msg-Id). A
        # first delivery of a record published well inside it cannot be stored already;
        # 0 means: trust nothing, look every record up.
        self.trusted_window_s = duplicate_window_s * 0.5
        self.batcher = batcher
        self.stats: Stats = batcher.stats
        self.durable = durable
        self.filter_subject = filter_subject
        self.ack_wait_s = ack_wait_s
        self.stop_grace_s = stop_grace_s
        self._sub: Any = None

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            description="Ingate analytics: request records into ClickHouse",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            filter_subject=self.filter_subject,
            # Room for a full batch in every replica, and then some.
            max_ack_pending=max(10_000, 4 * self.batcher.max_records),
        )

    async def start(self) -> None:
        """Create the durable consumer, or bring its settings up to date, and bind to it."""
        await self.js.add_consumer(EVENTS_STREAM, config=self.consumer_config())
        self._sub = await self.js.pull_subscribe_bind(durable=self.durable, stream=EVENTS_STREAM)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then write what is held and return."""
        if self._sub is None:
            await self.start()
        next_report = time.monotonic() + _STATS_LOG_EVERY_S
        # One batch is written while the next one fills: fetching never waits for ClickHouse,
        # and each batch is still acknowledged only after its own insert returned.
        writing: asyncio.Future[None] | None = None
        while not stop.is_set():
            await self._fetch()
            if self.batcher.due:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(self._flush(stop))
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + _STATS_LOG_EVERY_S
                log.debug("analytics counters: %s", self.stats)
        if writing is not None:
            await writing
        await self._flush(stop)
        await self._sub.unsubscribe()
        self._sub = None

    async def _flush(self, stop: asyncio.Event) -> None:
        """Write the open batch; once a stop is asked, allow it `stop_grace_s` more at most."""
        flush = asyncio.ensure_future(self.batcher.flush())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({flush, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not flush.done():
                await asyncio.wait({flush}, timeout=self.stop_grace_s)
            if not flush.done():
                log.warning("stopping before a batch could be written; its records will come round again")
                flush.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flush
                return
            flush.result()
        finally:
            stopping.cancel()
            flush.cancel()  # no-op when done; else this coroutine itself was cancelled

    async def _fetch(self) -> None:
        left = self.batcher.time_left()
        wait_s = _IDLE_FETCH_S if left is None else min(_IDLE_FETCH_S, max(_MIN_FETCH_S, left))
        try:
            messages = await self._sub.fetch(batch=max(1, min(self.batcher.room, _FETCH_MAX)), timeout=wait_s)
        except TimeoutError:
            return
        except nats.errors.Error as exc:  # e.g. reconnecting: the client comes back by itself
            log.warning("fetching from %s failed: %s", EVENTS_STREAM, exc)
            await asyncio.sleep(_NATS_TROUBLE_PAUSE_S)
            return
        for message in messages:
            await self._accept(message)

    async def _accept(self, message: Any) -> None:
        try:
            record = decode_record(message.data)
        except InvalidRecord as exc:
            await self._dead_letter(message, str(exc))
            return
        self.batcher.add(message, record, self._maybe_stored(message, record))

    def _maybe_stored(self, message: Any, record: RequestRecord) -> bool:
        metadata = message.metadata
        if metadata.num_delivered != 1 or self.trusted_window_s <= 0:
            return True  # a redelivery: its batch may have been written before the ack was lost
        # Published long after the request (e.g. from an edge's spool after an outage): an
        # earlier publish of it may lie outside JetStream's duplicate window.
        return bool(metadata.timestamp.timestamp() - record.ts > self.trusted_window_s)

    async def _dead_letter(self, message: Any, reason: str) -> None:
        reason = " ".join(reason.split())[:500]  # header values are one line
        headers = {DEADLETTER_REASON_HEADER: reason, ORIGINAL_SUBJECT_HEADER: message.subject}
        try:
            # Keyed by the original's stream position: a redelivered bad message is stored once.
            headers["Nats-Msg-Id"] = f"{EVENTS_STREAM}:{message.metadata.sequence.stream}"
            await self.js.publish(DEADLETTER_SUBJECT, message.data, headers=headers)
            await message.term()
        except nats.errors.Error as exc:
            log.warning("could not dead-letter a message from %s (it will come round again): %s",
                        message.subject, exc)  # fmt: skip
            return
        self.stats.dead_lettered += 1
        log.warning("dead-lettered a message from %s: %s", message.subject, reason)
