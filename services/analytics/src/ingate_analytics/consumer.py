"""The durable JetStream pull consumer: pull records, hand them to the batcher, dead-letter the rest.

One loop: keep one pull request outstanding for as many messages as the open batch has
room for, write the batch when it is due (full, or `max_delay_s` after its first record),
and move what is not a storable record to the dead-letter stream. Deliveries arrive through
`PullFeed`'s callback and are decoded and added to the batch right there, so the loop only
wakes for a due batch, a finished request or a dead letter. A dead-lettered message is
copied with the reason and its original subject in headers, then terminated: never retried.

The acknowledgement wait is short because nothing waits unattended for long: a batch is
written at most `max_delay_s` after its first record arrived, and while it is being
written (ClickHouse slow or away) its messages are told `in_progress`. A crashed process's
messages therefore come round again within `ack_wait_s` of the crash.

Acknowledgements stay explicit, one per message, sent only after the insert returned.
AckPolicy.ALL would need one per batch, but acknowledges every pending message below the
acknowledged stream sequence: a redelivery waiting in the next, unwritten batch, or a
message another replica of this durable consumer holds, would be acknowledged unwritten.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Final

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ingate_analytics.batcher import Batch, Batcher
from ingate_analytics.kinds import DEFAULT_KINDS, REQUESTS, Record, RecordKind
from ingate_analytics.pull import PullFeed, delivery_info
from ingate_analytics.records import InvalidRecord
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
# How long the server holds a pull request open for messages; also the longest the loop
# sleeps with no batch open (a new batch or a stop wakes it sooner).
PULL_EXPIRES_S: Final = 1.0
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
        pull_expires_s: float = PULL_EXPIRES_S,
        kinds: Mapping[str, RecordKind] = DEFAULT_KINDS,
    ) -> None:
        self.js = js
        self.kinds = kinds  # by subject; any other subject carries request records
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
        self.pull_expires_s = pull_expires_s
        self._feed: PullFeed | None = None
        self._undecodable: list[tuple[Msg, str]] = []

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
        """Create the durable consumer, or bring its settings up to date, and subscribe for its messages."""
        await self.js.add_consumer(EVENTS_STREAM, config=self.consumer_config())
        # The context's client and API prefix (which carries a JetStream domain, if any).
        feed = PullFeed(self.js._nc, EVENTS_STREAM, self.durable, self._accept, api_prefix=self.js._prefix)
        await feed.start()
        self._feed = feed

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then write what is held and return."""
        if self._feed is None:
            await self.start()
        assert self._feed is not None
        feed = self._feed
        # A stop ends the wait for the outstanding pull request at once. `_pull` checks `stop`
        # right before it waits, and this callback runs later than `stop.set()`: none is missed.
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: feed.wake())
        try:
            await self._consume(feed, stop)
        finally:
            stopping.cancel()
        self._feed = None
        try:
            await feed.stop()  # what was received still joins the last batch
        except nats.errors.Error as exc:
            log.warning("unsubscribing from %s failed: %s", EVENTS_STREAM, exc)
        await self._dead_letter_undecodable()
        await self._write(self.batcher.take(), stop)

    async def _consume(self, feed: PullFeed, stop: asyncio.Event) -> None:
        next_report = time.monotonic() + _STATS_LOG_EVERY_S
        # One batch is written while the next one fills: pulling never waits for ClickHouse,
        # and each batch is still acknowledged only after its own insert returned.
        writing: asyncio.Future[None] | None = None
        while not stop.is_set():
            if self.batcher.due:
                if writing is not None:
                    await writing
                # Taken now, not when the write starts running: the next pull request (sent
                # before this loop next yields) is sized for an empty batch.
                writing = asyncio.ensure_future(self._write(self.batcher.take(), stop))
            await self._pull(feed, stop)
            await self._dead_letter_undecodable()
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + _STATS_LOG_EVERY_S
                log.debug("analytics counters: %s", self.stats)
        if writing is not None:
            await writing

    async def _write(self, batch: Batch, stop: asyncio.Event) -> None:
        """Write a batch; once a stop is asked, allow it `stop_grace_s` more at most."""
        flush = asyncio.ensure_future(self.batcher.write(batch))
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

    async def _pull(self, feed: PullFeed, stop: asyncio.Event) -> None:
        """Have a pull request outstanding; wait until it ends, the open batch is due, a stop, or a while."""
        if not feed.outstanding and self.batcher.room > 0:
            if not feed.client.is_connected:  # reconnecting: requests would pile up meanwhile
                await asyncio.sleep(_NATS_TROUBLE_PAUSE_S)
                return
            try:
                await feed.request(min(self.batcher.room, _FETCH_MAX), self.pull_expires_s)
            except nats.errors.Error as exc:
                log.warning("pulling from %s failed: %s", EVENTS_STREAM, exc)
                await asyncio.sleep(_NATS_TROUBLE_PAUSE_S)
                return
        left = self.batcher.time_left()
        if stop.is_set():
            return
        await feed.wait(self.pull_expires_s if left is None else left)
        if feed.refusal is not None:  # e.g. the consumer was deleted: do not ask again at once
            await asyncio.sleep(_NATS_TROUBLE_PAUSE_S)

    def _accept(self, message: Msg) -> None:
        """Each delivery, as it arrives."""
        kind = self.kinds.get(message.subject, REQUESTS)
        try:
            record = kind.decode(message.data)
        except InvalidRecord as exc:
            self._undecodable.append((message, str(exc)))
            self._wake_loop()
            return
        if not len(self.batcher):
            self._wake_loop()  # a batch opens: the loop must now also watch its time limit
        self.batcher.add(message, record, self._maybe_stored(message.reply, record), kind)

    def _wake_loop(self) -> None:
        if self._feed is not None:
            self._feed.wake()

    def _maybe_stored(self, reply: str, record: Record) -> bool:
        if self.trusted_window_s <= 0:
            return True  # trust nothing
        info = delivery_info(reply)
        if info is None or info[0] != 1:
            return True  # a redelivery: its batch may have been written before the ack was lost
        # Published long after the request (e.g. from an edge's spool after an outage): an
        # earlier publish of it may lie outside JetStream's duplicate window.
        return info[1] - record.ts > self.trusted_window_s

    async def _dead_letter_undecodable(self) -> None:
        while self._undecodable:
            message, reason = self._undecodable.pop(0)
            await self._dead_letter(message, reason)

    async def _dead_letter(self, message: Msg, reason: str) -> None:
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
