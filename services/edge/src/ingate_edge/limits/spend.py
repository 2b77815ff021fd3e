"""Spend per key and calendar month, shared by every edge through the spend KV bucket.

Each edge adds the cost of the requests it served to a local tally and folds that into the
shared entry a few times a second (compare-and-set, so concurrent edges add up instead of
overwriting each other); a watch keeps every edge's view of every entry current. Spend is
in JetStream file storage, so it survives restarts of the edges and of NATS.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ingate_contracts.subjects import spend_entry
from ingate_edge.limits.shared import LimitStoreError
from ingate_nats.buckets import spend_bucket
from ingate_nats.mirror import KvMirror
from ingate_nats.spend import month_of

log = logging.getLogger("ingate.edge.spend")

FLUSH_INTERVAL_S: Final = 0.2
_MICRO: Final = 1_000_000
_MAX_ENTRY_NAMES: Final = 100_000


def _decode_micro(value: bytes) -> int:
    return int(value)


class SpendBook:
    def __init__(self, replicas: int = 1) -> None:
        self._open = functools.partial(spend_bucket, replicas=replicas)
        self.mirror: KvMirror[int] = KvMirror(self._open, _decode_micro, "spend")
        self._pending: dict[str, int] = {}  # entry → micro-USD served here, not yet in the bucket
        self._flushed: dict[str, int] = {}  # entry → micro-USD put in the bucket since take_flushed
        # Run after every flush: the budget claims shrink by what is now in the bucket, at once.
        self.after_flush: Callable[[], Awaitable[None]] | None = None
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: Client | None = None
        self._entries: dict[str, str] = {}  # key id → its entry for the current month
        self._month_name = ""
        self._month_until = 0.0

    def start(self, client: Client) -> None:
        self._client = client
        self.mirror.start(client)
        self._task = asyncio.create_task(self._flush_forever(client), name="ingate-spend-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.flush(), 2.0)  # last tally, if NATS is still there
        await self.mirror.stop()

    def spent_usd(self, key_id: str, now: float) -> float | None:
        """This month's spend so far, across all edges; None until the shared tally is loaded."""
        if not self.mirror.loaded.is_set():
            return None
        entry = self.entry(key_id, now)
        return (self.mirror.entries.get(entry, 0) + self._pending.get(entry, 0)) / _MICRO

    def add(self, key_id: str, cost_usd: float, now: float) -> None:
        micro = round(cost_usd * _MICRO)
        if micro <= 0 or not key_id:
            return
        entry = self.entry(key_id, now)
        self._pending[entry] = self._pending.get(entry, 0) + micro

    def entry(self, key_id: str, now: float) -> str:
        # The month is worked out once a minute, not per request (a datetime costs
        # microseconds), and each key's entry name once a month.
        if now >= self._month_until:
            month = month_of(dt.datetime.fromtimestamp(now, dt.UTC))
            if month != self._month_name:
                self._month_name = month
                self._entries.clear()
            self._month_until = now - now % 60.0 + 60.0
        entry = self._entries.get(key_id)
        if entry is None:
            if len(self._entries) >= _MAX_ENTRY_NAMES:
                self._entries.clear()
            entry = self._entries[key_id] = spend_entry(key_id, self._month_name)
        return entry

    async def flush(self) -> None:
        if self._kv is None:
            return
        for entry, micro in list(self._pending.items()):
            total = await self._add_shared(self._kv, entry, micro)
            self.mirror.entries[entry] = total  # ours at once, before the watch brings it back
            self._flushed[entry] = self._flushed.get(entry, 0) + micro
            left = self._pending[entry] - micro  # what was added while we wrote
            if left:
                self._pending[entry] = left
            else:
                del self._pending[entry]

    def take_flushed(self) -> dict[str, int]:
        """What this edge has put in the shared bucket since the last call, per entry (for the
        budget claims, which may shrink by it only once it is there)."""
        flushed, self._flushed = self._flushed, {}
        return flushed

    def connected(self) -> bool:
        """Whether NATS is there now: while it is not, a request to it would wait for its timeout."""
        return self._client is not None and self._client.is_connected

    async def shared_micro(self, entry: str) -> int:
        """The entry's spend as it is in the bucket now (not as the watch last brought it)."""
        if self._kv is None or not self.connected():
            raise LimitStoreError("the spend bucket is not reachable")
        try:
            found = await self._kv.get(entry)
        except KeyNotFoundError:
            return 0
        except Exception as exc:
            raise LimitStoreError(str(exc)) from exc
        return int(found.value or b"0")

    async def _add_shared(self, kv: KeyValue, entry: str, micro: int) -> int:
        while True:
            try:
                current = await kv.get(entry)
                total = int(current.value or b"0") + micro
                await kv.update(entry, str(total).encode(), last=current.revision)
                return total
            except KeyNotFoundError:
                try:
                    await kv.create(entry, str(micro).encode())
                    return micro
                except KeyWrongLastSequenceError:
                    continue  # another edge created it first
            except KeyWrongLastSequenceError:
                continue  # another edge added first: read again

    async def _flush_forever(self, client: Client) -> None:
        while True:
            try:
                if self._kv is None:
                    self._kv = await self._open(client)
                await self.flush()
                if self.after_flush is not None:
                    await self.after_flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: the tally waits here and goes later
                log.warning("cannot record spend or budget claims yet: %s", exc)
            await asyncio.sleep(FLUSH_INTERVAL_S)
