"""An in-memory copy of a NATS KV bucket, kept current by a watch.

Every edge keeps such copies (keys, spend) so that a lookup on the request path is a
dict read, while a change made anywhere reaches every replica as soon as NATS delivers it.

The watch is an ordered push consumer of the bucket's stream, made here rather than with
nats-py's `KeyValue.watch` for two reasons:

- Heartbeats. An ordered consumer keeps one copy, on one server. When that server dies
  (a NATS cluster losing a node) the client, still connected to a live server, hears
  nothing more, and only a missing heartbeat tells it to make the consumer again, where
  it left off. `KeyValue.watch` fixes the heartbeat at 5 s and gives up after two, so a
  revoke written meanwhile reached the edge after about 10 s (seen in the cluster test).
  Here the heartbeat is `_HEARTBEAT_S`: a dead copy is replaced within a second.
- The end of the initial snapshot. It is complete when an entry arrives with nothing
  pending behind it. nats-py's own end-of-snapshot marker is not enough: it can come
  *before* entries the server already sent (it compares the consumer's pending count, zero
  once everything is sent, with what the client has processed), which would make an edge
  answer 401 to valid keys for a moment after start or after a reconnect. So an empty
  pending count at creation is trusted only when the bucket is really empty.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.kv import KeyValue

log = logging.getLogger("ingate.nats.mirror")

T = TypeVar("T")
# A bucket that had entries when the watch began but delivers none (they expired meanwhile)
# is taken as loaded after this long.
_LATE_S = 2.0
# The server sends a heartbeat this often when there is nothing else to send; nats-py makes
# the consumer again, where it left off, after two missed (so within 2-3 of these).
_HEARTBEAT_S = 0.25
# A consumer nobody listens to any more (an edge gone, or replaced after a missed
# heartbeat) is removed by the server after this long.
_INACTIVE_S = 30.0
_KV_OPERATION = "KV-Operation"
_MARKER_REASON = "Nats-Marker-Reason"


class KvMirror(Generic[T]):
    def __init__(
        self,
        open_bucket: Callable[[Client], Awaitable[KeyValue]],
        decode: Callable[[bytes], T],
        name: str,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """`on_change` runs after the snapshot is loaded (each time a watch begins again) and
        after every change applied once it is, for holders that derive state from `entries`."""
        self._open_bucket = open_bucket
        self._decode = decode
        self._name = name
        self._on_change = on_change
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
        name = (await bucket.status()).bucket
        prefix = f"$KV.{name}."
        arrived: asyncio.Queue[Msg] = asyncio.Queue()

        async def deliver(msg: Msg) -> None:
            arrived.put_nowait(msg)

        subscription = await client.jetstream().subscribe(
            f"{prefix}>",
            stream=f"KV_{name}",
            cb=deliver,
            ordered_consumer=True,
            idle_heartbeat=_HEARTBEAT_S,
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
            inactive_threshold=_INACTIVE_S,
        )
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
            self._changed()

        try:
            info = await subscription.consumer_info()
            if info.num_pending == 0 and arrived.empty():  # nothing to deliver, or sent already
                if (await bucket.status()).values == 0:
                    snapshot_complete()
                else:
                    self._late = asyncio.get_running_loop().call_later(_LATE_S, snapshot_complete)
            while not restart.done():
                update = asyncio.ensure_future(arrived.get())
                done, _ = await asyncio.wait({update, restart}, return_when=asyncio.FIRST_COMPLETED)
                if update not in done:
                    update.cancel()
                    break
                msg = update.result()
                target = fresh if fresh is not None else self.entries
                self._apply(target, msg.subject[len(prefix) :], msg)
                if fresh is None:
                    self._changed()
                elif msg.metadata.num_pending == 0:  # nothing pending behind it
                    snapshot_complete()
        finally:
            if self._late is not None:
                self._late.cancel()
                self._late = None
            restart.cancel()
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change()
        except Exception:  # a holder's bug must not stop the watch
            log.exception("handling a change of %s failed", self._name)

    def _apply(self, target: dict[str, T], key: str, msg: Msg) -> None:
        removed = _removal(msg.headers or {})
        if removed is None:
            return
        if removed or not msg.data:
            target.pop(key, None)
            return
        try:
            target[key] = self._decode(msg.data)
        except Exception as exc:  # one bad entry must not stop the watch
            log.warning("ignoring undecodable %s entry %r: %s", self._name, key, exc)


def _removal(headers: dict[str, str]) -> bool | None:
    """Whether a message of a KV stream removes its key; None for a marker of unknown meaning."""
    if headers.get(_KV_OPERATION) in ("DEL", "PURGE"):
        return True
    reason = headers.get(_MARKER_REASON)
    if reason is None:
        return False
    # Markers the server places itself (nats-server 2.11+), e.g. when an entry's TTL ran out.
    return True if reason in ("MaxAge", "Purge", "Remove") else None
