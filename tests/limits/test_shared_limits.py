"""Two limiters sharing one NATS (two edges, in miniature): one limit, not two."""

import asyncio
import time

import pytest
from nats.aio.client import Client

from ingate_contracts import KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.limits import Limiter, SharedBuckets
from ingate_edge.limits.limiter import LEASE_S
from ingate_nats.buckets import limits_bucket


async def _limiters(clients: tuple[Client, Client]) -> list[Limiter]:
    limiters = []
    for client in clients:
        limiter = Limiter()
        limiter.attach(SharedBuckets(await limits_bucket(client)))
        limiters.append(limiter)
    return limiters


def _key(**limits: int) -> KeyRecord:
    return KeyRecord(key_id="key_0123456789ab", created_at="2026-01-01T00:00:00+00:00", **limits)  # type: ignore[arg-type]


async def _admitted(limiter: Limiter, key: KeyRecord, user: str = "", tokens: int = 0) -> bool:
    try:
        await limiter.admit(key, user, tokens, time.time())
    except GatewayError:
        return False
    return True


def _refilled(rpm: int, since: float) -> int:
    """Whole requests a limit of `rpm` refills from monotonic time `since` until now."""
    return int((time.monotonic() - since) * rpm / 60)


async def _given_back(limiter: Limiter) -> None:
    """Until what the limiter sends NATS in the background (give-backs, settlements) has landed."""
    while limiter._background:
        await asyncio.wait(set(limiter._background))


async def test_two_replicas_hold_one_request_limit(clients: tuple[Client, Client]) -> None:
    a, b = await _limiters(clients)
    key = _key(rpm=40)
    started = time.monotonic()
    outcomes = await asyncio.gather(*[_admitted(a if i % 2 else b, key) for i in range(200)])
    # 40 per minute is a burst of 40, plus what refills meanwhile (none in under 1.5 s).
    assert 40 <= sum(outcomes) <= 40 + _refilled(40, started)


async def test_capacity_left_in_a_lease_goes_back(clients: tuple[Client, Client]) -> None:
    a, b = await _limiters(clients)
    key = _key(rpm=400)  # slices of 20
    # a's sweeper off: its lease goes back when this test sweeps, not when a busy machine got slow.
    assert a._sweeper is not None
    a._sweeper.cancel()
    started = time.monotonic()
    assert await _admitted(a, key)  # a leases 21, uses 1
    admitted_b = sum(await asyncio.gather(*[_admitted(b, key) for _ in range(400)]))
    assert 379 <= admitted_b <= 381 + _refilled(400, started)  # a's unused 20 are held for now
    drained = time.monotonic()
    await asyncio.sleep(LEASE_S)  # a serves nothing more: its lease is idle now
    a.sweep()  # what its sweeper does four times a second
    await _given_back(a)
    # a's 20, and what refilled since (400/min: more than 5), without a's help
    expected = min(40, 20 + _refilled(400, drained) - 1)
    assert sum(await asyncio.gather(*[_admitted(b, key) for _ in range(40)])) >= expected


async def test_a_stopping_edge_gives_back_what_it_holds(clients: tuple[Client, Client]) -> None:
    a, b = await _limiters(clients)
    key = _key(rpm=400)
    started = time.monotonic()
    assert await _admitted(a, key)  # a holds 20
    assert sum(await asyncio.gather(*[_admitted(b, key) for _ in range(400)])) <= 381 + _refilled(
        400, started
    )
    await a.stop()
    assert sum(await asyncio.gather(*[_admitted(b, key) for _ in range(20)])) == 20
    await b.stop()


async def test_per_user_limits_isolate_users(clients: tuple[Client, Client]) -> None:
    a, b = await _limiters(clients)
    key = _key(per_user_rpm=2)
    assert [await _admitted(x, key, "alice") for x in (a, b, a)] == [True, True, False]
    assert [await _admitted(x, key, "bob") for x in (b, a)] == [True, True]


async def test_refusal_says_when_to_retry(clients: tuple[Client, Client]) -> None:
    a, _ = await _limiters(clients)
    key = _key(rpm=3)
    for _ in range(3):
        await a.admit(key, "", 0, time.time())
    with pytest.raises(GatewayError) as refused:
        await a.admit(key, "", 0, time.time())
    assert refused.value.kind == errors.RATE_LIMITED_REQUESTS
    headers = dict(refused.value.headers)
    assert headers[b"x-ratelimit-limit-requests"] == b"3"
    assert headers[b"x-ratelimit-remaining-requests"] == b"0"
    assert 19 <= int(headers[b"retry-after"]) <= 20


async def test_tokens_reserved_then_settled_and_debts_wait(clients: tuple[Client, Client]) -> None:
    a, b = await _limiters(clients)
    key = _key(tpm=1000)
    admission = await a.admit(key, "", 600, time.time())
    assert not await _admitted(b, key, tokens=600)  # 400 left across both replicas
    a.settle(admission, 100, 0.0)  # used far less than reserved: 500 back (on a's side)
    assert await _admitted(a, key, tokens=600)
    # A stream that used more than it reserved leaves a debt every replica sees.
    greedy = await b.admit(key, "", 200, time.time())
    b.settle(greedy, 2000, 0.0)
    await _given_back(b)  # the debt is on NATS
    # What each replica still holds in its lease (a slice of 50) is all there is.
    assert not await _admitted(a, key, tokens=60)
    assert not await _admitted(b, key, tokens=60)


async def test_limit_change_takes_effect(clients: tuple[Client, Client]) -> None:
    a, _ = await _limiters(clients)
    assert await _admitted(a, _key(rpm=1))
    assert not await _admitted(a, _key(rpm=1))
    assert await _admitted(a, _key(rpm=100))  # raised: the new limit, the same bucket


async def test_without_nats_each_edge_still_limits_on_its_own() -> None:
    alone = Limiter()  # never attached: NATS unreachable since start
    key = _key(rpm=2)
    assert [await _admitted(alone, key) for _ in range(3)] == [True, True, False]
