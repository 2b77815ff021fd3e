"""A key's monthly budget as one edge enforces it on its own (NATS away, or not yet there):
the spend it has seen plus the maximum cost of what it has in flight."""

import datetime as dt
import time

import pytest

from ingate_contracts import KeyRecord
from ingate_contracts.subjects import spend_entry
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.limits import Admission, Limiter, SpendBook
from ingate_nats.spend import month_of

KEY_ID = "key_0123456789ab"
NO_RETRY = ((b"x-should-retry", b"false"),)


def _key(budget_usd: float) -> KeyRecord:
    return KeyRecord(key_id=KEY_ID, created_at="2026-01-01T00:00:00+00:00", budget_usd=budget_usd)


def _loaded_book() -> SpendBook:
    book = SpendBook()
    book.mirror.loaded.set()  # as when the watch on the spend bucket has caught up
    return book


async def _admission(limiter: Limiter, key: KeyRecord, ceiling_usd: float) -> Admission | None:
    """The admission, or None if refused as a spent budget (and nothing else)."""
    refusal: GatewayError | None = None
    try:
        return await limiter.admit(key, "", 0, time.time(), ceiling_usd)
    except GatewayError as refused:
        refusal = refused
    assert (refusal.kind, refusal.headers) == (errors.BUDGET_EXHAUSTED, NO_RETRY)
    return None


def _settle(limiter: Limiter, book: SpendBook, admission: Admission, cost: float) -> None:
    """What the edge does once a request has ended (Exchange.settle)."""
    limiter.settle(admission, 0, cost)
    book.add(KEY_ID, cost, time.time())


async def test_requests_in_flight_count_at_their_maximum_cost() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(1.0)
    held = [await _admission(limiter, key, 0.3) for _ in range(4)]
    assert [a is not None for a in held] == [True, True, True, False]  # 0.90 reserved; 0.30 more won't fit
    first = held[0]
    assert first is not None
    _settle(limiter, book, first, 0.05)  # the reservation becomes the real cost
    assert await _admission(limiter, key, 0.3) is not None  # 0.05 + 0.60 + 0.30


async def test_the_edges_own_spending_counts_at_once() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(1.0)
    for cost in (0.4, 0.4, 0.25):
        admission = await _admission(limiter, key, 0.0)
        assert admission is not None
        _settle(limiter, book, admission, cost)
    assert await _admission(limiter, key, 0.0) is None  # 1.05 spent: the very next request is refused


async def test_a_model_without_a_price_reserves_nothing_but_a_spent_budget_refuses_it() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(0.5)
    assert all([await _admission(limiter, key, 0.0) for _ in range(100)])
    book.add(KEY_ID, 0.5, time.time())
    assert await _admission(limiter, key, 0.0) is None


async def test_spend_from_other_edges_counts_as_the_watch_brings_it() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    key = _key(5.0)
    assert await _admission(limiter, key, 0.01) is not None
    # Another edge's spend, as the watch on the shared bucket delivers it (micro-USD).
    book.mirror.entries[spend_entry(KEY_ID, month_of(dt.datetime.now(dt.UTC)))] = 6_000_000
    assert await _admission(limiter, key, 0.01) is None


async def test_a_changed_budget_applies_at_once() -> None:
    book = _loaded_book()
    limiter = Limiter(book)
    book.add(KEY_ID, 2.0, time.time())
    assert await _admission(limiter, _key(1.0), 0.0) is None
    assert await _admission(limiter, _key(3.0), 0.0) is not None  # the key store hands out a new record


async def test_a_request_costing_more_than_is_left_is_told_so() -> None:
    limiter = Limiter(_loaded_book())
    with pytest.raises(GatewayError) as refused:
        await limiter.admit(_key(1.0), "", 0, time.time(), 2.5)
    assert refused.value.kind == errors.BUDGET_EXHAUSTED
    assert "could cost up to $2.50, more than is left" in refused.value.message


async def test_no_admission_before_the_spend_is_loaded() -> None:
    limiter = Limiter(SpendBook())
    with pytest.raises(GatewayError) as refused:
        await limiter.admit(_key(1.0), "", 0, time.time())
    assert refused.value.kind == errors.UNAVAILABLE
