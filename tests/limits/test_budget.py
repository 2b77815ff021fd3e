"""A key's monthly budget as one edge enforces it: its own spending at once, the shared
spend (other edges') within BUDGET_RECHECK_S."""

import asyncio
import datetime as dt
import time

import pytest

from ingate_contracts import KeyRecord
from ingate_contracts.subjects import spend_entry
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.limits import Limiter, SpendBook
from ingate_edge.limits.limiter import BUDGET_RECHECK_S
from ingate_nats.spend import month_of

KEY_ID = "key_0123456789ab"


def _key(budget_usd: float) -> KeyRecord:
    return KeyRecord(key_id=KEY_ID, created_at="2026-01-01T00:00:00+00:00", budget_usd=budget_usd)


def _loaded_book() -> SpendBook:
    book = SpendBook()
    book.mirror.loaded.set()  # as when the watch on the spend bucket has caught up
    return book


def _admits(limiter: Limiter, key: KeyRecord) -> bool:
    """True if admitted; False if refused as a spent budget (and nothing else)."""
    refusal: GatewayError | None = None
    try:
        admission = limiter.admit_now(key, "", 0, time.time())
    except GatewayError as refused:
        refusal = refused
    if refusal is not None:
        assert (refusal.kind, refusal.headers) == (errors.BUDGET_EXHAUSTED, ((b"x-should-retry", b"false"),))
        return False
    assert admission is not None  # a key with a budget only has nothing to lease
    return True


def test_the_edges_own_spending_counts_at_once() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(1.0)
    for cost in (0.4, 0.4):
        admission = limiter.admit_now(key, "", 0, time.time())
        assert admission is not None
        limiter.settle(admission, 0, cost)
        book.add(KEY_ID, cost, time.time())
    assert _admits(limiter, key)  # 0.80 of 1.00 spent
    admission = limiter.admit_now(key, "", 0, time.time())
    assert admission is not None
    limiter.settle(admission, 0, 0.25)
    book.add(KEY_ID, 0.25, time.time())
    assert not _admits(limiter, key)  # 1.05 spent: the very next request is refused


async def test_spend_from_other_edges_counts_within_the_recheck_interval() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(5.0)
    assert _admits(limiter, key)
    # Another edge's spend, as the watch on the shared bucket delivers it (micro-USD).
    book.mirror.entries[spend_entry(KEY_ID, month_of(dt.datetime.now(dt.UTC)))] = 6_000_000
    await asyncio.sleep(BUDGET_RECHECK_S * 1.5)
    assert not _admits(limiter, key)


def test_a_raised_budget_applies_at_once() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    book.add(KEY_ID, 2.0, time.time())
    assert not _admits(limiter, _key(1.0))
    assert _admits(limiter, _key(3.0))  # the key store hands out a new record when it changes


def test_no_admission_before_the_spend_is_loaded() -> None:
    limiter = Limiter(SpendBook())
    with pytest.raises(GatewayError) as refused:
        limiter.admit_now(_key(1.0), "", 0, time.time())
    assert refused.value.kind == errors.UNAVAILABLE
