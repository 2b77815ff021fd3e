"""An in-memory copy of a NATS KV bucket, kept current by a watch.

Every edge keeps such copies (keys, spend) so that a lookup on the request path is a
dict read, while a change made anywhere reaches every replica as soon as NATS delivers it.

The initial snapshot is complete when an entry arrives with nothing pending behind it.
nats-py's own end-of-snapshot marker is not enough: it can come *before* entries the
server already sent (it compares the consumer's pending count, zero once everything is
sent, with what the client has processed), which would make an edge answer 401 to valid
keys for a moment after start or after a reconnect. The marker is trusted only when the
bucket is really empty.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from nats.aio.client import Client
from nats.js.kv import KeyValue

log = logging.getLogger("ingate.nats.mirror")

T = TypeVar("T")
# A bucket that had entries when the watch began but delivers none (they expired meanwhile)
# is taken as loaded after this long.
_LATE_S = 2.0


class KvMirror(Generic[T]):
    def __init__(
        self, open_bucket: Callable[[Client], Awaitable[KeyValue]], decode: Callable[[bytes], T], name: str
    ) -> None:
        self._open_bucket = open_bucket
        self._decode = decode
        self._name = name
        self.entries: dict[str, T] = {}
        self.loaded = asyncio.Event()
        self._restart = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._late: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def start(self, client: Client) -> None:
        self._task = asyncio.create_task(self._run(client), name=f"ingate-watch-{self._name}")

    def resync(self) -> None:
        """Ask for a fresh watch, e.g. after a reconnect (an ordered consumer may be gone)."""
        self._restart.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, client: Client) -> None:
        while True:
            try:
                await self._watch_once(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("watch of %s failed, retrying: %s", self._name, exc)
                await asyncio.sleep(0.5)

    async def _watch_once(self, client: Client) -> None:
        bucket = await self._open_bucket(client)
        watcher = await bucket.watchall()
        self._restart.clear()
        # The initial snapshot is built aside and swapped in whole, so lookups never see half.
        fresh: dict[str, T] | None = {}
        restart = asyncio.ensure_future(self._restart.wait())

        def snapshot_complete() -> None:
            nonlocal fresh
            if fresh is not None:
                self.entries = fresh
                fresh = None
            self.loaded.set()

        try:
            while not restart.done():
                next_update = watcher.updates(timeout=3600)  # type: ignore[no-untyped-call]
                update = asyncio.ensure_future(next_update)
                done, _ = await asyncio.wait({update, restart}, return_when=asyncio.FIRST_COMPLETED)
                if update not in done:
                    update.cancel()
                    break
                entry = update.result()
                if entry is None:  # nats-py's marker: believe it only for an empty bucket
                    if fresh is not None and (await bucket.status()).values == 0:
                        snapshot_complete()
                    elif fresh is not None:
                        self._late = asyncio.get_running_loop().call_later(_LATE_S, snapshot_complete)
                    continue
                target = fresh if fresh is not None else self.entries
                if entry.operation in ("DEL", "PURGE") or not entry.value:
                    target.pop(entry.key, None)
                else:
                    try:
                        target[entry.key] = self._decode(entry.value)
                    except Exception as exc:  # one bad entry must not stop the watch
                        log.warning("ignoring undecodable %s entry %r: %s", self._name, entry.key, exc)
                if fresh is not None and entry.delta == 0:  # nothing pending behind it
                    snapshot_complete()
        finally:
            if self._late is not None:
                self._late.cancel()
                self._late = None
            restart.cancel()
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
