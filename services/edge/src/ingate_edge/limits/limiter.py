"""Requests and tokens per minute, per key and per end user, as one limit across all edges.

Consistency model. Each limit is a token bucket (bucket.py) held in one NATS KV entry.
An edge does not touch that entry per request: it *leases* a slice of the bucket (a
twentieth of the limit, at most 1,000 requests' worth; nothing extra for limits under 20)
with compare-and-set, serves requests from the slice locally, and returns what it did not
use after one second.
Capacity is therefore never granted twice, whatever the number of replicas: across all
edges a limit admits at most what one bucket would — a burst of N, then N per minute.
The price is the other way round: up to one slice per replica can sit unused in a lease
for at most a second, so a limit may refuse slightly early under contention.

Tokens are reserved before forwarding (prompt size plus `max_tokens`, capped at the limit)
and settled with the real usage afterwards: unused tokens go back, extra tokens are charged
as a debt the bucket must refill before anyone under that limit is admitted again. A
stream cannot slip past a token limit; one request may overrun it by what it used beyond
its reservation.

While NATS is unreachable each edge falls back to a bucket of its own per limit, so a
limit still holds per replica (at most N times the limit across N replicas) until NATS is
back.
"""

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any, Final

from ingate_contracts import KeyRecord
from ingate_edge.limits.bucket import BucketState, grant, level_at, refilled, until_full, wait_for
from ingate_edge.limits.headers import limit_headers, retry_headers
from ingate_edge.limits.shared import LimitStoreError, SharedBuckets

log = logging.getLogger("ingate.edge.limits")

LEASE_S: Final = 1.0
_SLICE_FRACTION: Final = 20
_MAX_SLICE: Final = 1000  # requests' worth
_MAX_LEASES: Final = 100_000  # distinct limits held at once (per-user limits make many)
REQUESTS: Final = b"requests"
TOKENS: Final = b"tokens"

Headers = list[tuple[bytes, bytes]]


class Refused(Exception):
    def __init__(self, kind: bytes, message: str, headers: Headers) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.headers = headers


class Lease:
    """What this edge holds of one shared bucket."""

    __slots__ = ("busy", "expires", "fallback", "level", "limit", "name", "permits", "seen_at")

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.permits = 0.0
        self.expires = 0.0  # monotonic
        self.level = float(limit)  # the shared level when last seen, and when (unix seconds)
        self.seen_at = 0.0
        self.busy: asyncio.Future[None] | None = None
        self.fallback: BucketState | None = None  # this edge's own bucket while NATS is away

    def remaining(self, now: float) -> float:
        return self.permits + refilled(self.level, self.seen_at, self.limit, now)

    def headers(self, kind: bytes, now: float) -> Headers:
        remaining = self.remaining(now)
        return limit_headers(kind, self.limit, remaining, until_full(remaining, self.limit))


class Admission:
    """What one admitted request holds: headers to send, tokens to settle."""

    __slots__ = ("headers", "reserved")

    def __init__(self) -> None:
        self.headers: Headers = []
        self.reserved: list[tuple[Lease, float]] = []


def user_scope(user_id: str) -> str:
    # User ids are caller-chosen text; KV keys need a safe, bounded alphabet.
    return hashlib.sha256(user_id.encode()).hexdigest()[:20]


class Limiter:
    def __init__(self) -> None:
        self.shared: SharedBuckets | None = None
        self._leases: dict[str, Lease] = {}
        self._background: set[asyncio.Task[None]] = set()

    def attach(self, shared: SharedBuckets) -> None:
        self.shared = shared

    async def admit(self, key: KeyRecord, user_id: str, tokens: int) -> Admission:
        """Take what the request needs from every limit on it, or raise Refused (taking nothing)."""
        admission = Admission()
        now = time.time()
        plan: list[tuple[str, int, bytes, float]] = []
        if key.rpm is not None:
            plan.append((f"{key.key_id}.rpm", key.rpm, REQUESTS, 1.0))
        if key.per_user_rpm is not None:
            plan.append((f"{key.key_id}.u{user_scope(user_id)}.rpm", key.per_user_rpm, REQUESTS, 1.0))
        if key.tpm is not None:
            plan.append((f"{key.key_id}.tpm", key.tpm, TOKENS, float(min(tokens, key.tpm))))
        if key.per_user_tpm is not None:
            reserve = float(min(tokens, key.per_user_tpm))
            plan.append((f"{key.key_id}.u{user_scope(user_id)}.tpm", key.per_user_tpm, TOKENS, reserve))
        taken: list[tuple[Lease, float]] = []
        reported: set[bytes] = set()
        monotonic = time.monotonic()
        for name, limit, kind, need in plan:
            lease = self._lease(name, limit)
            if lease.permits >= need and lease.expires > monotonic:
                lease.permits -= need  # served from this edge's lease: no await, no NATS
                wait = None
            else:
                wait = await self._take(lease, need) if need > 0 else None
            if wait is not None:
                for held, amount in taken:  # all or nothing: give back what the others lent
                    held.permits += amount
                headers = [*lease.headers(kind, now), *retry_headers(wait)]
                raise Refused(kind, _refusal(kind, name, limit, wait), headers)
            taken.append((lease, need))
            if kind == TOKENS:
                admission.reserved.append((lease, need))
            if kind not in reported:  # the first limit of each kind is the one reported
                reported.add(kind)
                admission.headers += lease.headers(kind, now)
        return admission

    def settle(self, admission: Admission, used_tokens: int) -> None:
        """Real usage known: unused reserved tokens go back, extra ones become a debt."""
        for lease, reserved in admission.reserved:
            extra = used_tokens - reserved
            if extra <= 0:
                lease.permits -= extra
                continue
            from_lease = min(extra, lease.permits)
            lease.permits -= from_lease
            if extra > from_lease:
                self._in_background(self._charge(lease, extra - from_lease))

    def _lease(self, name: str, limit: int) -> Lease:
        lease = self._leases.get(name)
        if lease is None:
            if len(self._leases) >= _MAX_LEASES:
                self._evict()
            lease = self._leases[name] = Lease(name, limit)
        elif lease.limit != limit:  # the key's limit changed: what this edge holds goes back
            self._give_back(lease)
            lease.limit = limit
        return lease

    async def _take(self, lease: Lease, need: float) -> float | None:
        """None when `need` was taken; otherwise seconds until it could be."""
        while True:
            if lease.expires <= time.monotonic() and lease.permits > 0:
                self._give_back(lease)
            if lease.permits >= need:
                lease.permits -= need
                return None
            if lease.busy is None:
                break
            await asyncio.shield(lease.busy)  # one take at a time per lease: then look again
        short = need - lease.permits
        busy = lease.busy = asyncio.get_running_loop().create_future()
        try:
            taken, level = await self._take_shared(lease, short, short + _slice(lease.limit, need))
        finally:
            lease.busy = None
            busy.set_result(None)
        lease.level, lease.seen_at = level, time.time()
        if taken == 0.0:
            return wait_for(level, short, lease.limit)
        lease.permits += taken - need
        lease.expires = time.monotonic() + LEASE_S
        return None

    async def _take_shared(self, lease: Lease, need: float, want: float) -> tuple[float, float]:
        if self.shared is not None:
            try:
                return await self.shared.take(lease.name, lease.limit, need, want)
            except LimitStoreError as exc:
                log.warning("shared limits unavailable, limiting on this edge alone: %s", exc)
        now = time.time()
        level = level_at(lease.fallback, lease.limit, now)
        taken = grant(level, need, need)
        lease.fallback = BucketState(level - taken, now, lease.limit)
        return taken, level - taken

    def _give_back(self, lease: Lease) -> None:
        permits, lease.permits = lease.permits, 0.0
        if self.shared is not None and permits >= 1:
            self._in_background(self._add_shared(lease, math.floor(permits)))

    async def _charge(self, lease: Lease, debt: float) -> None:
        await self._add_shared(lease, -debt)

    async def _add_shared(self, lease: Lease, amount: float) -> None:
        if self.shared is None:
            return
        try:
            lease.level = await self.shared.add(lease.name, lease.limit, amount)
            lease.seen_at = time.time()
        except LimitStoreError as exc:
            log.warning("could not settle limit %s: %s", lease.name, exc)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _evict(self) -> None:
        now = time.monotonic()
        for name in [n for n, lease in self._leases.items() if lease.expires <= now and lease.busy is None]:
            lease = self._leases.pop(name)
            self._give_back(lease)


def _slice(limit: int, need: float) -> float:
    """Capacity taken beyond the need, to serve later requests locally: a twentieth of the
    limit, at most enough for 1,000 requests like this one; none for small limits, which are
    taken one request at a time so that no replica sits on a share of them."""
    return float(min(limit // _SLICE_FRACTION, _MAX_SLICE * max(need, 1.0)))


def _refusal(kind: bytes, name: str, limit: int, wait: float) -> str:
    scope = "per user " if ".u" in name else ""
    unit = "requests" if kind == REQUESTS else "tokens"
    return (
        f"Rate limit reached: {limit} {unit} per minute {scope}on this Ingate key. "
        f"Try again in {max(wait, 0.001):.3g}s."
    )
