"""The shared side of a limit: one KV entry per bucket, changed only by compare-and-set.

Every replica takes capacity out of the same entry, and an update carries the revision it
was computed from, so two replicas can never both spend the same capacity: the loser of a
race re-reads and tries again. Each replica keeps the last state it wrote or read, so in
the common case (no other replica touched the entry since) a take is one round trip.
"""

import time
from typing import Final

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ingate_edge.limits.bucket import BucketState, grant, level_at

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(BucketState).decode
_ATTEMPTS: Final = 16


class LimitStoreError(RuntimeError):
    """The shared state could not be read or written (NATS away, or too much contention)."""


class SharedBuckets:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv  # the limits bucket, where budget claims live too
        # name → (state, revision) as last seen; revision 0 means "not there": create it.
        self._seen: dict[str, tuple[BucketState | None, int]] = {}

    async def take(self, name: str, limit: int, need: float, want: float) -> tuple[float, float]:
        """Take between `need` and `want` (or nothing); returns (taken, level left)."""
        fresh = name not in self._seen  # otherwise the state is what this replica saw last
        for _ in range(_ATTEMPTS):
            state, revision = await self._state(name)
            now = time.time()
            level = level_at(state, limit, now)
            taken = grant(level, need, want)
            if taken == 0.0:
                if fresh:
                    return 0.0, level
                self._seen.pop(name, None)  # refuse only on the current level: read it
                fresh = True
                continue
            if await self._write(name, BucketState(level - taken, now, limit), revision):
                return taken, level - taken
            fresh = True  # the write lost a race and dropped what was seen: read again
        raise LimitStoreError(f"limit {name!r} is too contended")

    async def add(self, name: str, limit: int, amount: float) -> float:
        """Put capacity back (amount > 0) or charge a debt (amount < 0); returns the new level."""
        for _ in range(_ATTEMPTS):
            state, revision = await self._state(name)
            now = time.time()
            level = min(float(limit), level_at(state, limit, now) + amount)
            if await self._write(name, BucketState(level, now, limit), revision):
                return level
        raise LimitStoreError(f"limit {name!r} is too contended")

    async def _state(self, name: str) -> tuple[BucketState | None, int]:
        seen = self._seen.get(name)
        if seen is not None:
            return seen
        try:
            entry = await self.kv.get(name)
        except KeyNotFoundError:
            return None, 0
        except Exception as exc:
            raise LimitStoreError(str(exc)) from exc
        state = _decode(entry.value) if entry.value else None
        seen = (state, entry.revision or 0)
        self._seen[name] = seen
        return seen

    async def _write(self, name: str, state: BucketState, revision: int) -> bool:
        try:
            if revision:
                new_revision = await self.kv.update(name, _encode(state), last=revision)
            else:
                new_revision = await self.kv.create(name, _encode(state))
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            self._seen.pop(name, None)  # someone else wrote (or the entry expired): read again
            return False
        except Exception as exc:
            if "wrong last sequence" in str(exc):
                self._seen.pop(name, None)
                return False
            raise LimitStoreError(str(exc)) from exc
        self._seen[name] = (state, new_revision)
        return True
