"""Two edges (in miniature: a limiter and a spend book each) reserving one key's budget through
one real NATS: no dollar is reserved twice, and a dead edge's reservations lapse."""

import asyncio
import time
from collections.abc import Callable

from nats.aio.client import Client

from ingate_contracts import KeyRecord
from ingate_edge.errors import GatewayError
from ingate_edge.limits import Limiter, SharedBuckets, SpendBook
from ingate_edge.limits.ledger import BudgetLedger
from ingate_nats.buckets import limits_bucket
from tests.support.waiting import eventually

KEY_ID = "key_0123456789ab"
DEADLINE_S = 20.0  # for background work (flushes, lapses) on a busy machine


async def _edge(client: Client, ttl_s: float | None = None) -> tuple[Limiter, SpendBook]:
    book = SpendBook()
    book.start(client)
    limiter = Limiter(book)
    if ttl_s is not None:
        limiter.ledger = BudgetLedger(book, ttl_s)
    limiter.attach(SharedBuckets(await limits_bucket(client)))
    await asyncio.wait_for(book.mirror.loaded.wait(), DEADLINE_S)
    await _until(lambda: book._kv is not None)  # its flush loop has opened the spend bucket
    return limiter, book


async def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        await asyncio.sleep(0.02)


def _key(budget_usd: float) -> KeyRecord:
    return KeyRecord(key_id=KEY_ID, created_at="2026-01-01T00:00:00+00:00", budget_usd=budget_usd)


async def _admitted(limiter: Limiter, key: KeyRecord, ceiling_usd: float) -> bool:
    try:
        await limiter.admit(key, "", 0, time.time(), ceiling_usd)
    except GatewayError:
        return False
    return True


async def test_two_edges_never_reserve_the_same_dollars(clients: tuple[Client, Client]) -> None:
    (a, _), (b, _) = [await _edge(client) for client in clients]
    key = _key(1.0)
    outcomes = await asyncio.gather(*[_admitted(a if i % 2 else b, key, 0.03) for i in range(200)])
    # 33 requests of $0.03 fit in $1; each edge may be left with a piece smaller than a
    # request that the other cannot use until it is given back.
    assert 31 <= sum(outcomes) <= 33
    await a.stop()
    await b.stop()


async def test_a_dead_edges_reservations_lapse(clients: tuple[Client, Client]) -> None:
    (a, book_a), (b, _) = [await _edge(client, ttl_s=1.0) for client in clients]
    key = _key(1.0)
    assert await _admitted(a, key, 0.5)
    assert book_a._task is not None
    book_a._task.cancel()  # a dies: it neither renews its claim nor gives anything back
    assert not await _admitted(b, key, 0.5)  # a's request may still be running
    started = time.monotonic()
    await _until(lambda: time.monotonic() - started > 1.0)
    assert await _admitted(b, key, 0.5)  # a's claim lapsed after its ttl


async def test_a_settled_request_moves_from_its_reservation_to_the_spend(
    clients: tuple[Client, Client],
) -> None:
    (a, book_a), (b, _) = [await _edge(client) for client in clients]
    key = _key(1.0)
    admission = await a.admit(key, "", 0, time.time(), 0.5)
    a.settle(admission, 0, 0.1)
    book_a.add(KEY_ID, 0.1, time.time())
    assert a.ledger is not None
    budget = a.ledger.budget(KEY_ID)
    # Flushed to the shared spend, then out of a's claim; the rest of the claim goes back once idle.
    await _until(lambda: budget.claim == 0 and budget.unflushed == 0)
    # $1 budget less the $0.10 spent, once a's released claim has reached the shared store.
    await eventually(lambda: _admitted(b, key, 0.9), timeout_s=DEADLINE_S, what="b admitted the $0.90 left")
    assert not await _admitted(b, key, 0.000_01)
    await a.stop()
    await b.stop()
