"""Two edges' circuit breakers, each on its own NATS connection: a cooldown one of them
starts or ends reaches the other through the shared bucket."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError

from ingate_edge.cooldown_entry import CooldownEntry, entry_key
from ingate_edge.cooldowns import FAILURE_THRESHOLD, RETRY_AFTER_CAP_S, Cooldowns
from ingate_nats import connect
from ingate_nats.buckets import cooldowns_bucket
from ingate_nats.server import NatsServer
from tests.support.processes import free_port

T = "openai/gpt-4o"
COOL = 30.0
# A guard against hangs, not a measure of speed (the contract's 1 s is the watch's business).
DEADLINE_S = 15.0


@dataclass
class Edges:
    server: NatsServer
    clients: tuple[Client, Client]
    a: Cooldowns
    b: Cooldowns


async def _started(client: Client, edge_id: str) -> Cooldowns:
    cooldowns = Cooldowns(edge_id=edge_id)
    cooldowns.start(client)
    await asyncio.wait_for(cooldowns.mirror.loaded.wait(), DEADLINE_S)
    return cooldowns


@pytest.fixture
async def edges(tmp_path: Path) -> AsyncIterator[Edges]:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    first = await connect(server.url, "cooldowns-a")
    second = await connect(server.url, "cooldowns-b")
    a = await _started(first, "edge-a")
    b = await _started(second, "edge-b")
    yield Edges(server, (first, second), a, b)
    for cooldowns in (a, b):
        await cooldowns.stop()
    for client in (first, second):
        await client.close()
    server.stop()


async def _eventually(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(DEADLINE_S):
            while not condition():  # noqa: ASYNC110 - polling what a watch fills in
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {DEADLINE_S} s: {what}") from None


async def _seen(cooldowns: Cooldowns, target: str, until: float) -> CooldownEntry:
    await _eventually(lambda: _until(cooldowns, target) == until, f"{target} until {until} seen")
    entry = cooldowns.shared(target)
    assert entry is not None
    return entry


def _until(cooldowns: Cooldowns, target: str) -> float | None:
    entry = cooldowns.shared(target)
    return None if entry is None else entry.until


async def test_three_failures_in_a_row_cool_the_target_on_every_edge(edges: Edges) -> None:
    a, b = edges.a, edges.b
    now = time.time()
    for _ in range(FAILURE_THRESHOLD - 1):
        a.failed(T, now, COOL, reason="upstream_500")
    a.succeeded(T, now)
    for _ in range(FAILURE_THRESHOLD - 1):
        a.failed(T, now, COOL, reason="upstream_500")
    assert a.available(T, now)
    assert b.available(T, now)
    a.failed(T, now, COOL, reason="upstream_500")
    assert not a.available(T, now)  # here at once, NATS or not
    entry = await _seen(b, T, now + COOL)
    assert entry == CooldownEntry(T, now + COOL, "upstream_500", "edge-a")
    assert not b.available(T, now)
    # The trip came from the other edge's count only: b's own is untouched.
    assert b.available("openai/gpt-4o-mini", now)


async def test_a_retry_after_cools_at_once_on_every_edge(edges: Edges) -> None:
    a, b = edges.a, edges.b
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=120.0, reason="upstream_429")
    assert not a.available(T, now)
    entry = await _seen(b, T, now + 120.0)
    assert entry.reason == "upstream_429"
    assert not b.available(T, now + 119.0)


async def test_after_a_cooldown_each_edge_probes_once_and_a_success_restores_everywhere(
    edges: Edges,
) -> None:
    a, b = edges.a, edges.b
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=60.0)
    await _seen(b, T, now + 60.0)
    later = now + 60.0
    assert b.available(T, later)  # b's probe
    assert not b.available(T, later)  # a concurrent caller on b waits for it
    assert a.available(T, later)  # each edge sends one probe
    assert not a.available(T, later)
    b.succeeded(T, later)
    assert b.available(T, later)
    await _eventually(lambda: a.shared(T) is None, "the restore reached edge a")
    assert a.available(T, later)
    assert a.available(T, later)
    bucket = await cooldowns_bucket(edges.clients[0])
    with pytest.raises(KeyNotFoundError):
        await bucket.get(entry_key(T))


async def test_a_failed_probe_reopens_the_cooldown_everywhere(edges: Edges) -> None:
    a, b = edges.a, edges.b
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=60.0)
    await _seen(b, T, now + 60.0)
    later = now + 60.0
    assert a.available(T, later)
    a.failed(T, later, COOL, reason="timeout")
    assert not a.available(T, later)
    entry = await _seen(b, T, later + COOL)
    assert entry.reason == "timeout"
    assert not b.available(T, later)  # no probe: the new cooldown is under way
    assert b.available(T, later + COOL)


async def test_a_retry_after_is_capped(edges: Edges) -> None:
    a, b = edges.a, edges.b
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=86_400.0)
    await _seen(b, T, now + RETRY_AFTER_CAP_S)
    long_cooldown = RETRY_AFTER_CAP_S * 2
    a.failed("anthropic/claude", now, long_cooldown, retry_after_s=86_400.0)
    await _seen(b, "anthropic/claude", now + long_cooldown)


async def test_model_names_a_kv_key_may_not_hold(edges: Edges) -> None:
    a, b = edges.a, edges.b
    targets = ["ollama/llama3:8b", "azure/gpt-4o@2024-08-06", "custom/my model.v2", "x/*>"]
    now = time.time()
    for target in targets:
        a.failed(target, now, COOL, retry_after_s=60.0)
    for target in targets:
        entry = await _seen(b, target, now + 60.0)
        assert entry.target == target
        assert not b.available(target, now)
    bucket = await cooldowns_bucket(edges.clients[0])
    assert sorted(await bucket.keys()) == sorted(entry_key(t) for t in targets)


async def test_a_corrupt_entry_is_ignored_and_the_watch_goes_on(edges: Edges) -> None:
    a, b = edges.a, edges.b
    bucket = await cooldowns_bucket(edges.clients[0])
    await bucket.put(entry_key("broken/garbage"), b"\x00not json")
    await bucket.put(entry_key("broken/shape"), b'{"target": "broken/shape", "until": "soon"}')
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=60.0)  # written after the corrupt ones
    await _seen(b, T, now + 60.0)
    for broken in ("broken/garbage", "broken/shape"):
        assert b.shared(broken) is None
        assert b.available(broken, now)
    # An edge starting now loads the snapshot, corrupt entries and all.
    late = await _started(edges.clients[1], "edge-c")
    try:
        assert _until(late, T) == now + 60.0
        assert late.shared("broken/garbage") is None
    finally:
        await late.stop()


async def test_before_start_the_state_is_local_and_complete() -> None:
    cooldowns = Cooldowns(edge_id="edge-alone")
    now = time.time()
    for _ in range(FAILURE_THRESHOLD):
        cooldowns.failed(T, now, COOL)
    assert not cooldowns.available(T, now)
    assert cooldowns.available(T, now + COOL)
    cooldowns.succeeded(T, now + COOL)
    assert cooldowns.available(T, now + COOL)
    await cooldowns.stop()  # stopping what never started is fine


async def test_while_nats_is_away_the_local_state_applies_and_sharing_resumes_after(
    edges: Edges, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = edges.a, edges.b
    before = time.time()
    a.failed("old/target", before, COOL, retry_after_s=60.0)
    await _seen(b, "old/target", before + 60.0)
    edges.server.stop()
    caplog.set_level(logging.WARNING, logger="ingate.edge.cooldowns")
    now = time.time()
    a.failed(T, now, COOL, retry_after_s=60.0)  # must not raise, nor wait for NATS
    assert not a.available(T, now)
    await _eventually(
        lambda: any("cannot share the cooldown" in r.getMessage() for r in caplog.records),
        "the failed write was logged",
    )
    assert not a.available(T, now + 59.0)
    assert a.available(T, now + 60.0)  # the probe, from local state alone
    a.succeeded(T, now + 60.0)
    assert a.available(T, now + 60.0)
    assert not b.available("old/target", before)  # b keeps its copy meanwhile

    # NATS back, empty (the bucket is in memory): after a reconnect, as the edge does, both
    # watch again, and a new cooldown is shared as before.
    edges.server.start()
    await _eventually(lambda: all(c.is_connected for c in edges.clients), "both reconnected")
    a.resync()
    b.resync()
    await _eventually(lambda: b.shared("old/target") is None, "b's copy follows the empty bucket")
    now = time.time()
    a.failed("anthropic/claude", now, COOL, retry_after_s=90.0)
    await _seen(b, "anthropic/claude", now + 90.0)
