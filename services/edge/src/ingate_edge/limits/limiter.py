"""Requests and tokens per minute, per key and per end user, as one limit across all edges.

Consistency model. Each limit is a token bucket (bucket.py) held in one NATS KV entry.
An edge does not touch that entry per request: it *leases* a slice of the bucket (a
twentieth of the limit, at most 1,000 requests' worth; nothing extra for limits under 20)
with compare-and-set, serves requests from the slice locally, takes the next slice in the
background when a quarter is left, and gives back a lease unused for LEASE_S (a sweep).
Capacity is therefore never granted twice, whatever the number of replicas: across all
edges a limit admits at most what one bucket would — a burst of N, then N per minute.
The price is the other way round: up to 1¼ slices per replica can sit unused in a lease,
so a limit may refuse slightly early under contention.

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
import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any, Final

from ingate_contracts import KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.limits.bucket import BucketState, grant, level_at, wait_for
from ingate_edge.limits.headers import Headers, retry_headers
from ingate_edge.limits.lease import REQUESTS, TOKENS, Admission, Lease, Plan
from ingate_edge.limits.ledger import BudgetLedger, ceiling_micro
from ingate_edge.limits.shared import LimitStoreError, SharedBuckets
from ingate_edge.limits.spend import SpendBook

log = logging.getLogger("ingate.edge.limits")

LEASE_S: Final = 0.75  # a sweep every quarter second: unused capacity is back within 1 s
_SLICE_FRACTION: Final = 20
_MAX_SLICE: Final = 1000  # requests' worth
_MAX_LEASES: Final = 100_000  # distinct limits held at once (per-user limits make many)
_SWEEP_S: Final = LEASE_S / 4
_STOP_WAIT_S: Final = 2.0
_REFUSED: Final = {REQUESTS: errors.RATE_LIMITED_REQUESTS, TOKENS: errors.RATE_LIMITED_TOKENS}


def user_scope(user_id: str) -> str:
    # User ids are caller-chosen text; KV keys need a safe, bounded alphabet.
    return hashlib.sha256(user_id.encode()).hexdigest()[:20]


class Limiter:
    def __init__(self, spend: SpendBook | None = None) -> None:
        self.shared: SharedBuckets | None = None
        # Without a spend book, budgets are not enforced.
        self.ledger = BudgetLedger(spend) if spend is not None else None
        self._leases: dict[str, Lease] = {}
        self._plans: dict[tuple[str, str], Plan] = {}
        self._holding: set[Lease] = set()  # leases that may hold permits
        self._background: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def attach(self, shared: SharedBuckets) -> None:
        """Share limits through `shared` from now on (called on the event loop)."""
        self.shared = shared
        if self.ledger is not None:
            self.ledger.attach(shared.kv)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="ingate-limits-sweep")

    async def stop(self) -> None:
        """Give back everything this edge holds, so other edges can use it at once."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for lease in self._holding:
            self._give_back(lease)
        self._holding.clear()
        if self._background:
            await asyncio.wait(self._background, timeout=_STOP_WAIT_S)
        if self.ledger is not None:
            await self.ledger.stop()

    def admit_now(
        self, key: KeyRecord, user_id: str, tokens: int, now: float, ceiling_usd: float = 0.0
    ) -> Admission | None:
        """Admit from what this edge already holds, or None when that needs NATS.

        `ceiling_usd` is the most the request can cost, reserved against the key's budget.
        The common case, and the reason this is not a coroutine: no await, no allocation
        beyond the admission itself.
        """
        plan = self._plans.get((key.key_id, user_id))
        if plan is None or plan.key is not key:
            plan = self._plan(key, user_id)
        budget = plan.budget
        need = 0
        if budget is not None:
            need = ceiling_micro(ceiling_usd)
            if not budget.fits(need, now):
                return None
        for lease in plan.requests:
            if lease.permits < 1.0:
                return None
        for lease in plan.tokens:
            if lease.permits < min(tokens, lease.limit):
                return None
        monotonic = time.monotonic()
        if budget is not None:
            budget.hold(need, monotonic)
        idle_from = monotonic + LEASE_S  # a lease in use is kept; an idle one is swept back
        for lease in plan.requests:
            lease.permits -= 1.0
            lease.expires = idle_from
            if lease.permits < lease.refill_at:
                self._take_ahead(lease)
        for lease in plan.tokens:
            lease.permits -= min(tokens, lease.limit)
            lease.expires = idle_from
            if lease.permits < lease.refill_at:
                self._take_ahead(lease)
        return Admission(plan, tokens, need)

    async def admit(
        self, key: KeyRecord, user_id: str, tokens: int, now: float, ceiling_usd: float = 0.0
    ) -> Admission:
        """Take what the request needs from every limit on it and its maximum cost from the
        key's budget, or raise GatewayError (taking nothing)."""
        admission = self.admit_now(key, user_id, tokens, now, ceiling_usd)
        if admission is not None:
            return admission
        plan = self._plan(key, user_id)
        budget = plan.budget
        reserved = 0
        if budget is not None and self.ledger is not None:  # the budget first: it is checked first
            reserved = ceiling_micro(ceiling_usd)
            await self.ledger.reserve(budget, key, reserved, now)
        steps = [(lease, 1.0) for lease in plan.requests]
        steps += [(lease, float(min(tokens, lease.limit))) for lease in plan.tokens]
        taken: list[tuple[Lease, float]] = []
        monotonic = time.monotonic()
        for lease, need in steps:
            if lease.permits >= need:
                lease.permits -= need  # served from this edge's lease
                lease.expires = monotonic + LEASE_S
                wait = None
            else:
                wait = await self._take(lease, need) if need > 0 else None
            if wait is not None:
                for held, amount in taken:  # all or nothing: give back what the others lent
                    held.permits += amount
                if budget is not None:
                    budget.inflight -= reserved
                headers: Headers = []
                lease.add_headers(headers, time.time())
                message = _refusal(lease.kind, lease.name, lease.limit, wait)
                raise GatewayError(_REFUSED[lease.kind], message, tuple(headers + retry_headers(wait)))
            taken.append((lease, need))
        return Admission(plan, tokens, reserved)

    def settle(self, admission: Admission, used_tokens: int, cost_usd: float) -> None:
        """Real usage known: unused reserved tokens go back, extra ones become a debt; the
        budget's reservation becomes the real cost."""
        if admission.plan.budget is not None and self.ledger is not None:
            self.ledger.settle(admission.plan.budget, admission.reserved, cost_usd)
        for lease in admission.plan.tokens:
            extra = used_tokens - min(admission.tokens, lease.limit)
            if extra <= 0:
                lease.permits -= extra
                continue
            from_lease = min(extra, lease.permits)
            lease.permits -= from_lease
            if extra > from_lease:
                self._in_background(self._charge(lease, extra - from_lease))

    def _lease(self, name: str, limit: int, kind: bytes) -> Lease:
        lease = self._leases.get(name)
        if lease is None:
            if len(self._leases) >= _MAX_LEASES:
                self._evict()
            lease = self._leases[name] = Lease(name, limit, kind)
        elif lease.limit != limit:  # the key's limit changed: what this edge holds goes back
            self._give_back(lease)
            lease.relimit(limit)
        return lease

    def _plan(self, key: KeyRecord, user_id: str) -> Plan:
        plan = self._plans.get((key.key_id, user_id))
        if plan is not None and plan.key is key:
            return plan
        requests: list[Lease] = []
        tokens: list[Lease] = []
        scope = f"{key.key_id}.u{user_scope(user_id)}"
        if key.rpm is not None:
            requests.append(self._lease(f"{key.key_id}.rpm", key.rpm, REQUESTS))
        if key.per_user_rpm is not None:
            requests.append(self._lease(f"{scope}.rpm", key.per_user_rpm, REQUESTS))
        if key.tpm is not None:
            tokens.append(self._lease(f"{key.key_id}.tpm", key.tpm, TOKENS))
        if key.per_user_tpm is not None:
            tokens.append(self._lease(f"{scope}.tpm", key.per_user_tpm, TOKENS))
        budget = None
        if key.budget_usd is not None and self.ledger is not None:
            budget = self.ledger.budget(key.key_id)
            budget.trusted_until = 0.0  # the budget may have changed with the key: check it again
        if len(self._plans) >= _MAX_LEASES:
            self._plans.clear()
        plan = self._plans[(key.key_id, user_id)] = Plan(key, tuple(requests), tuple(tokens), budget)
        return plan

    async def _take(self, lease: Lease, need: float) -> float | None:
        """None when `need` was taken; otherwise seconds until it could be."""
        while True:
            if lease.permits >= need:
                lease.permits -= need
                return None
            if lease.busy is None:
                break
            await asyncio.shield(lease.busy)  # one take at a time per lease: then look again
        short = need - lease.permits
        extra = _slice(lease.limit, need)
        busy = lease.busy = asyncio.get_running_loop().create_future()
        try:
            taken, level = await self._take_shared(lease, short, short + extra)
        finally:
            lease.busy = None
            busy.set_result(None)
        lease.level, lease.seen_at = level, time.time()
        if taken == 0.0:
            return wait_for(level, short, lease.limit)
        lease.permits += taken - need
        lease.extra = extra
        self._hold(lease)
        return None

    def _hold(self, lease: Lease) -> None:
        lease.expires = time.monotonic() + LEASE_S
        # A quarter of a slice left: enough to serve requests while the next one is fetched.
        lease.refill_at = lease.extra / 4 if lease.extra >= 4 and self.shared is not None else -1.0
        self._holding.add(lease)

    def _take_ahead(self, lease: Lease) -> None:
        """Fetch the next slice before this one runs out, so requests never wait for NATS."""
        lease.refill_at = -1.0  # one at a time: _hold arms it again
        if lease.busy is None and self.shared is not None:
            # Busy from now, not from when the task starts: no take may run alongside.
            lease.busy = asyncio.get_running_loop().create_future()
            self._in_background(self._top_up(lease, self.shared, lease.busy))

    async def _top_up(self, lease: Lease, shared: SharedBuckets, busy: asyncio.Future[None]) -> None:
        try:
            taken, level = await shared.take(lease.name, lease.limit, 1.0, lease.extra)
        except LimitStoreError as exc:
            log.warning("could not take limit %s ahead: %s", lease.name, exc)
            return
        finally:
            lease.busy = None
            busy.set_result(None)
        lease.level, lease.seen_at = level, time.time()
        if taken > 0.0:
            lease.permits += taken
            self._hold(lease)

    def sweep(self) -> None:
        """Give back what leases unused for a second still hold."""
        now = time.monotonic()
        for lease in [lease for lease in self._holding if lease.expires <= now and lease.busy is None]:
            self._holding.discard(lease)
            self._give_back(lease)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_S)
            self.sweep()

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
            self._holding.discard(lease)
            self._give_back(lease)
        self._plans.clear()  # plans must not keep using leases no longer kept here


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
