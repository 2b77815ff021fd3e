"""This edge's claims on budgeted keys: admitting from them locally, and keeping them in step
with the shared claims entry (claims.py) and the shared spend (spend.py).

A request is admitted against its maximum cost. While the edge's claim on the key covers it,
that is a subtraction here; otherwise the edge claims more under compare-and-set, checked
against the spend and every other edge's claim as they are in NATS at that moment. Settled
costs stay inside the claim until the spend book has added them to the shared spend; only
then does the claim shrink by them, so no cost is ever out of both. A sync after every flush
does that, renews live claims and gives back what an idle key's claim holds unused.
"""

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from typing import Final

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ingate_contracts import KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.limits.claims import MICRO, Claims, left_to_claim, live, to_claim, with_claim
from ingate_edge.limits.shared import LimitStoreError
from ingate_edge.limits.spend import SpendBook

log = logging.getLogger("ingate.edge.budgets")

# A claim not renewed for this long lapses: what a dead edge held is free again after it.
CLAIM_TTL_S: Final = 30.0
# An edge trusts its claim locally until a third of its ttl is left (renewals come every
# third), which also absorbs clock skew between edges of up to that much.
_TRUST_FRACTION: Final = 2 / 3
GIVE_BACK_S: Final = 1.0  # a claim's unused part goes back after this long without requests
_ATTEMPTS: Final = 32
_BACKOFF_S: Final = 0.002  # after a lost race, up to this many seconds per attempt so far, at random
_MAX_BUDGETS: Final = 100_000
_NO_RETRY: Final = ((b"x-should-retry", b"false"),)  # a spent budget does not come back in seconds

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Claims).decode


class BudgetContended(RuntimeError):
    """Other edges kept winning the race for a claims entry: not a reason to stop sharing it."""


class Budget:
    """This edge's part of one key's budget for the month, in micro-USD."""

    __slots__ = (
        "claim",
        "entry",
        "inflight",
        "key_id",
        "lock",
        "spend_entry",
        "trusted_until",
        "unflushed",
        "used_at",
    )

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        self.claim = 0  # never more than the shared entry holds for this edge
        self.inflight = 0  # maximum cost of the requests admitted here and not yet settled
        self.unflushed = 0  # cost settled here, not yet in the shared spend
        self.trusted_until = 0.0  # unix seconds; the claim is used locally until then
        self.used_at = 0.0  # monotonic: the last admission
        self.lock = asyncio.Lock()  # one shared write per budget at a time
        self.spend_entry = ""  # the month this claim is in (its spend entry)
        self.entry = ""  # and its claims entry

    def free(self) -> int:
        return self.claim - self.inflight - self.unflushed

    def fits(self, need: int, now: float) -> bool:
        return need <= self.claim - self.inflight - self.unflushed and now < self.trusted_until

    def hold(self, need: int, monotonic: float) -> None:
        self.inflight += need
        self.used_at = monotonic


def ceiling_micro(ceiling_usd: float) -> int:
    """What a request reserves: its maximum cost, and at least one micro-USD, so that a spent
    budget refuses even requests whose price is unknown (they cost nothing recorded)."""
    return max(1, math.ceil(ceiling_usd * MICRO))


class BudgetLedger:
    def __init__(self, spend: SpendBook, ttl_s: float = CLAIM_TTL_S) -> None:
        self.edge = uuid.uuid4().hex[:16]  # this process's name in the claims entries
        self.spend = spend
        self.ttl_s = ttl_s
        self._kv: KeyValue | None = None
        self._budgets: dict[str, Budget] = {}

    def budget(self, key_id: str) -> Budget:
        budget = self._budgets.get(key_id)
        if budget is None:
            if len(self._budgets) >= _MAX_BUDGETS:
                self._forget_idle()
            budget = self._budgets[key_id] = Budget(key_id)
        return budget

    def attach(self, kv: KeyValue) -> None:
        """Claim through `kv` (the limits bucket) from now on (called on the event loop)."""
        self._kv = kv
        self.spend.after_flush = self.sync  # in the spend book's loop, right after each flush

    async def stop(self) -> None:
        """Give back every claim's unused part, so other edges can use it at once."""
        self.spend.after_flush = None
        for budget in self._budgets.values():
            budget.used_at = -GIVE_BACK_S
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sync(), 2.0)

    def settle(self, budget: Budget, reserved: int, cost_usd: float) -> None:
        budget.inflight -= reserved
        cost = round(cost_usd * MICRO)  # as the spend book counts it
        if cost > 0:
            budget.unflushed += cost

    async def reserve(self, budget: Budget, key: KeyRecord, need: int, now: float) -> None:
        """Hold `need` for one request, claiming more if this edge's claim lacks it; raises
        GatewayError (holding nothing) when the budget cannot cover it."""
        async with budget.lock:  # requests queued here may find the claim topped up
            if budget.fits(need, now):
                budget.hold(need, time.monotonic())
                return
            if self.spend.spent_usd(key.key_id, now) is None:
                raise GatewayError(errors.UNAVAILABLE, "Ingate is starting: spend is not loaded yet.")
            budget_micro = round((key.budget_usd or 0.0) * MICRO)
            try:
                refused = await self._claim(budget, budget_micro, need)
            except BudgetContended as exc:
                raise GatewayError(errors.UNAVAILABLE, "The key's budget is busy; try again.") from exc
            except LimitStoreError as exc:
                log.warning("shared budgets unavailable, checking on this edge alone: %s", exc)
                refused = self._refusal_here(budget, budget_micro, need, now)
            if refused is not None:
                spent, reserved = refused
                raise GatewayError(errors.BUDGET_EXHAUSTED, _refusal(key, need, spent, reserved), _NO_RETRY)
            budget.hold(need, time.monotonic())

    async def _claim(self, budget: Budget, budget_micro: int, need: int) -> tuple[int, int] | None:
        """Claim enough for `need`; None when done, else (spent, reserved by all edges) as they were."""
        kv = self._kv
        if kv is None or not self.spend.connected():  # fail fast rather than wait for a timeout
            raise LimitStoreError("the shared limits bucket is not reachable")
        self._follow_month(budget, time.time())
        for attempt in range(_ATTEMPTS):
            claims, revision = await _read(kv, budget.entry)
            spent = await self.spend.shared_micro(budget.spend_entry)
            now = time.time()
            # What NATS holds for this edge is the truth: a lapsed claim is gone.
            budget.claim = min(budget.claim, live(claims.by_edge.get(self.edge), now))
            left = left_to_claim(budget_micro, spent, claims, self.edge, now)
            added = to_claim(max(0, need - budget.free()), need, left)
            if added is None:
                return spent, budget_micro - spent - left
            if await self._put(kv, budget, claims, revision, budget.claim + added, now):
                return None
            await asyncio.sleep(random.uniform(0.0, _BACKOFF_S * (attempt + 1)))  # let the winner be
        raise BudgetContended(f"budget {budget.entry!r} is too contended")

    def _refusal_here(
        self, budget: Budget, budget_micro: int, need: int, now: float
    ) -> tuple[int, int] | None:
        """Without NATS: the spend as this edge last saw it, plus what it has in flight."""
        spent = round((self.spend.spent_usd(budget.key_id, now) or 0.0) * MICRO)
        if spent + budget.inflight + need <= budget_micro:
            return None
        return spent, budget.inflight

    async def sync(self) -> None:
        """Shrink claims by what the spend book has flushed, give back idle claims' unused
        part, renew the rest; one write per budget that needs one."""
        kv = self._kv
        if kv is None or not self.spend.connected():
            return
        flushed = self.spend.take_flushed()
        due: list[Budget] = []
        idle_before = time.monotonic() - GIVE_BACK_S
        now = time.time()
        for budget in list(self._budgets.values()):
            # Now in the shared spend, so out of the claim too (lowered here first: never above NATS).
            paid = min(flushed.get(budget.spend_entry, 0), budget.unflushed)
            budget.unflushed -= paid
            budget.claim = max(0, budget.claim - paid)
            idle = budget.used_at <= idle_before and budget.free() > 0
            renew = budget.claim > 0 and now > budget.trusted_until - self.ttl_s / 3
            if paid or idle or renew:
                due.append(budget)
        for budget in due:
            async with budget.lock:
                if budget.used_at <= idle_before:
                    budget.claim -= max(0, budget.free())
                await self._set(kv, budget)

    async def _set(self, kv: KeyValue, budget: Budget) -> None:
        for _ in range(_ATTEMPTS):
            claims, revision = await _read(kv, budget.entry)
            now = time.time()
            if live(claims.by_edge.get(self.edge), now) == 0:
                if budget.claim == 0:
                    return  # nothing held, nothing to drop
                budget.claim = 0  # lapsed: others may hold those dollars now
            if await self._put(kv, budget, claims, revision, budget.claim, now):
                return
        raise LimitStoreError(f"budget {budget.entry!r} is too contended")  # tried again next flush

    async def _put(
        self, kv: KeyValue, budget: Budget, claims: Claims, revision: int, claim: int, now: float
    ) -> bool:
        """Write this edge's claim (renewed for a ttl); False when another edge wrote first."""
        renewed = with_claim(claims, self.edge, claim, now + self.ttl_s, now)
        if not await _write(kv, budget.entry, renewed, revision):
            return False
        budget.claim = claim
        budget.trusted_until = now + self.ttl_s * _TRUST_FRACTION if claim else 0.0
        return True

    def _follow_month(self, budget: Budget, now: float) -> None:
        spend_entry = self.spend.entry(budget.key_id, now)
        if spend_entry != budget.spend_entry:
            budget.spend_entry, budget.entry = spend_entry, f"{spend_entry}.budget"
            # Last month's claim lapses on its own, and its costs are last month's spend.
            budget.claim = budget.unflushed = 0

    def _forget_idle(self) -> None:
        for key_id in [k for k, b in self._budgets.items() if b.claim == b.inflight == b.unflushed == 0]:
            del self._budgets[key_id]


async def _read(kv: KeyValue, entry: str) -> tuple[Claims, int]:
    try:
        found = await kv.get(entry)
    except KeyNotFoundError:
        return Claims(), 0
    except Exception as exc:
        raise LimitStoreError(str(exc)) from exc
    return (_decode(found.value) if found.value else Claims()), found.revision or 0


async def _write(kv: KeyValue, entry: str, claims: Claims, revision: int) -> bool:
    try:
        if revision:
            await kv.update(entry, _encode(claims), last=revision)
        else:
            await kv.create(entry, _encode(claims))
    except (KeyWrongLastSequenceError, KeyNotFoundError):
        return False  # another edge wrote first: read again
    except Exception as exc:
        if "wrong last sequence" in str(exc):
            return False
        raise LimitStoreError(str(exc)) from exc
    return True


def _refusal(key: KeyRecord, need: int, spent: int, reserved: int) -> str:
    budget = round((key.budget_usd or 0.0) * MICRO)
    state = f"spent {_usd(spent)}, {_usd(max(0, reserved))} held for requests in flight or being counted"
    if spent >= budget:
        return f"This Ingate API key has used its monthly budget of {_usd(budget)} ({state})."
    return (
        f"This request could cost up to {_usd(need)}, more than is left of this Ingate API "
        f"key's monthly budget of {_usd(budget)} ({state})."
    )


def _usd(micro: int) -> str:
    """Cents for sums of a dollar or more; every micro-dollar below, as budgets may be that small."""
    if micro >= MICRO:
        return f"${micro / MICRO:,.2f}"
    return f"${micro / MICRO:.6f}".rstrip("0").rstrip(".")
