"""A circuit breaker per target (provider + model), shared by every edge through NATS KV.

A target that fails `FAILURE_THRESHOLD` times in a row on one edge, or that answers with
how long to wait (a 429's retry-after), cools down: this edge skips it at once, and the
entry it writes to the cooldowns bucket reaches every other edge's mirror within
milliseconds, so they skip it too. Once the cooldown has run out the target is half-open:
the next caller on each edge gets it (a probe) while the others on that edge still skip it;
the probe's success restores the target everywhere (the shared entry is deleted), its
failure starts a new cooldown everywhere. Each edge sends its own probe, so with N edges up
to N requests test a recovering target at once: a handful, which is fine.

The request path only reads dicts and writes local state; what goes to NATS is queued for a
background writer, so a NATS that is slow or away never delays a request (the local state
applies meanwhile, and a write that fails is logged and dropped).

`now` is Unix time (`time.time()`), not a monotonic clock: the shared `until` is absolute so
that every edge agrees on it, which assumes the edges' clocks are NTP-synced (a skew of a
second or two only moves the moment a target is probed).
"""

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
from typing import Final

from nats.aio.client import Client
from nats.js.kv import KeyValue

from ingate_edge.cooldown_entry import CooldownEntry, decode_entry, encode_entry, entry_key
from ingate_nats.buckets import cooldowns_bucket
from ingate_nats.mirror import KvMirror

log = logging.getLogger("ingate.edge.cooldowns")

# One failure is often a blip (a connection reset, one bad request) and two in a row can be
# chance; three with no success between them is a pattern, and still few enough that only a
# few requests pay for a dead target before it is skipped. Counted per edge, because a shared
# count would cost a NATS write per failed request.
FAILURE_THRESHOLD: Final = 3
# A probe whose outcome is never reported (its task cancelled, a bug) must not keep the
# target half-open and skipped forever: after this long the next caller probes again.
PROBE_TIMEOUT_S: Final = 30.0
# A retry-after is honoured up to max(cooldown_s, this): a hostile or broken header must not
# park a target for a day.
RETRY_AFTER_CAP_S: Final = 300.0
# How long a write to NATS may take before it is given up (it is background work).
WRITE_TIMEOUT_S: Final = 5.0
# Targets come from the configured routes, so these stay small; the bounds only guard
# against a caller building ids from user input.
_MAX_TARGETS: Final = 10_000


class _Target:
    """What this edge knows of one target beyond the shared entry."""

    __slots__ = ("failures", "probe_deadline", "probe_of", "until")

    def __init__(self) -> None:
        self.failures = 0  # consecutive failures seen here since the last success or cooldown
        self.until = 0.0  # a cooldown not (yet) in the shared bucket; 0: none
        self.probe_of = 0.0  # the `until` of the cooldown a probe is testing; 0: no probe
        self.probe_deadline = 0.0


def _default_edge_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Cooldowns:
    def __init__(self, replicas: int = 1, edge_id: str | None = None) -> None:
        self.edge_id = edge_id or _default_edge_id()
        self._open = functools.partial(cooldowns_bucket, replicas=replicas)
        self.mirror: KvMirror[CooldownEntry] = KvMirror(self._open, decode_entry, "cooldowns")
        self._local: dict[str, _Target] = {}
        self._keys: dict[str, str] = {}  # target id → its key in the bucket
        # Writes waiting for the writer, latest per target; None deletes the shared entry.
        self._pending: dict[str, CooldownEntry | None] = {}
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._kv: KeyValue | None = None

    def start(self, client: Client) -> None:
        self.mirror.start(client)
        self._writer = asyncio.create_task(self._write_forever(client), name="ingate-cooldowns-write")

    def resync(self) -> None:
        """A fresh watch, e.g. after a reconnect (see `KvMirror.resync`)."""
        self.mirror.resync()

    async def stop(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await self.mirror.stop()

    def cooling(self, target_id: str, now: float) -> bool:
        """Whether the target is in a cooldown that has not run out (no probe is handed out)."""
        return now < self._until(target_id, self._local.get(target_id))

    def available(self, target_id: str, now: float) -> bool:
        """Whether to send a request to this target now; True also hands out the probe."""
        if not self._local and not self.mirror.entries:  # nothing is failing anywhere: the usual case
            return True
        local = self._local.get(target_id)
        until = self._until(target_id, local)
        if now < until:
            return False
        if until == 0.0:
            return True
        # Half-open: one caller at a time on this edge tests the target.
        if local is None:
            local = self._record(target_id)
        if local.probe_of == until and now < local.probe_deadline:
            return False
        local.probe_of = until
        local.probe_deadline = now + PROBE_TIMEOUT_S
        return True

    def failed(
        self,
        target_id: str,
        now: float,
        cooldown_s: float,
        retry_after_s: float | None = None,
        reason: str = "upstream_error",
    ) -> None:
        """Record a failed attempt; `retry_after_s` is how long the provider asked to wait."""
        local = self._record(target_id)
        until = self._until(target_id, local)
        if retry_after_s is not None and retry_after_s > 0.0:
            new_until = now + min(retry_after_s, max(cooldown_s, RETRY_AFTER_CAP_S))
            # Never shortens a cooldown under way (a request sent before it began can fail late).
            if now >= until or new_until > until:
                self._open_cooldown(target_id, local, new_until, reason)
        elif cooldown_s <= 0.0:
            pass  # a route that never cools its targets on failures (only on a provider's wait)
        elif until > 0.0 and now >= until:  # half-open: the probe (or a late request) failed
            self._open_cooldown(target_id, local, now + cooldown_s, reason)
        elif now < until:
            pass  # a request sent before the cooldown began: the cooldown already counts it
        else:
            local.failures += 1
            if local.failures >= FAILURE_THRESHOLD:
                self._open_cooldown(target_id, local, now + cooldown_s, reason)

    def succeeded(self, target_id: str, now: float | None = None) -> None:
        """Record a successful attempt: a cooldown that has run out ends, on every edge.

        A success while a cooldown is still under way only clears the failure count: it came
        from a request sent before the cooldown began, and must not undo a provider's
        retry-after. `now` defaults to the wall clock; it is only read when the target has
        some cooldown state, so the common call is a few dict reads.
        """
        if not self._local and not self.mirror.entries:
            return
        key = self._key(target_id)
        entry = self.mirror.entries.get(key)
        local = self._local.get(target_id)
        if entry is None and local is None:
            return
        if now is None:
            now = time.time()
        until = self._until(target_id, local)
        if now < until:
            if local is not None:
                local.failures = 0
            return
        self._local.pop(target_id, None)
        if until > 0.0:
            self.mirror.entries.pop(key, None)  # here at once; the watch brings the delete later
            self._queue(target_id, None)
            log.info("target %s restored", target_id)

    def shared(self, target_id: str) -> CooldownEntry | None:
        """The target's entry in the shared bucket as this edge sees it (for logs and metrics)."""
        return self.mirror.entries.get(self._key(target_id))

    def _until(self, target_id: str, local: _Target | None) -> float:
        entry = self.mirror.entries.get(self._key(target_id))
        until = 0.0 if entry is None else entry.until
        return until if local is None or local.until <= until else local.until

    def _key(self, target_id: str) -> str:
        key = self._keys.get(target_id)
        if key is None:
            if len(self._keys) >= _MAX_TARGETS:
                self._keys.clear()
            key = self._keys[target_id] = entry_key(target_id)
        return key

    def _record(self, target_id: str) -> _Target:
        local = self._local.get(target_id)
        if local is None:
            if len(self._local) >= _MAX_TARGETS:  # keep the cooldowns, drop mere counts
                self._local = {t: s for t, s in self._local.items() if s.until or s.probe_of}
            local = self._local[target_id] = _Target()
        return local

    def _open_cooldown(self, target_id: str, local: _Target, until: float, reason: str) -> None:
        local.failures = 0
        local.until = until
        local.probe_of = 0.0
        self._queue(target_id, CooldownEntry(target_id, until, reason, self.edge_id))
        log.info("target %s cooling down until %.1f (%s)", target_id, until, reason)

    def _queue(self, target_id: str, value: CooldownEntry | None) -> None:
        if self._writer is None:  # not started: this edge's state is all there is
            return
        self._pending[target_id] = value
        self._wake.set()

    async def _write_forever(self, client: Client) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                target_id = next(iter(self._pending))
                value = self._pending.pop(target_id)
                try:
                    await asyncio.wait_for(self._write(client, target_id, value), WRITE_TIMEOUT_S)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS away: this edge's state applies meanwhile
                    self._kv = None  # the bucket may be gone (memory storage, NATS restarted)
                    log.warning("cannot share the cooldown of %s: %r", target_id, exc)

    async def _write(self, client: Client, target_id: str, value: CooldownEntry | None) -> None:
        if self._kv is None:
            self._kv = await self._open(client)
        key = entry_key(target_id)
        if value is None:
            await self._kv.delete(key)
            return
        await self._kv.put(key, encode_entry(value))
        if target_id in self._pending:
            return  # changed again meanwhile: the next write settles it
        # Shared now: the entry rules, so a delete by another edge (its probe succeeded)
        # restores the target here too. Put in the mirror at once, before the watch brings it.
        entries = self.mirror.entries
        seen = entries.get(key)
        if seen is None or seen.until <= value.until:
            entries[key] = value
        local = self._local.get(target_id)
        if local is not None and local.until == value.until:
            local.until = 0.0
