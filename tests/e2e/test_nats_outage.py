"""NATS stopped for 10 s under traffic: the edge answers every request meanwhile, and every
request's record reaches the events stream exactly once after NATS is back — even when the
edge holding them is killed outright before that."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from ingate_contracts.subjects import EVENTS_STREAM, EVENTS_SUBJECT_PREFIX
from ingate_nats import NatsServer, connect
from tests.conftest import Edge, launch_edge, start_edge
from tests.support.processes import free_port

_HELLO: Any = [{"role": "user", "content": "hello"}]


async def _stream_ids(nats_url: str) -> list[str]:
    """The ids of the request records on the events stream (the audit rows `keys create` leaves
    there too are not requests)."""
    client = await connect(nats_url, "test-stream-reader", reconnect=False)
    try:
        js = client.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        ids: list[str] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(EVENTS_STREAM, seq)
            if not (message.subject or "").startswith(f"{EVENTS_SUBJECT_PREFIX}."):
                continue
            ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
        return ids
    finally:
        await client.close()


async def _wait_stored(nats_url: str, count: int) -> list[str]:
    """The events stream's record ids, once it holds `count` records (or 60 s have passed)."""
    deadline = time.monotonic() + 60
    stored: list[str] = []
    while time.monotonic() < deadline:
        try:
            stored = await _stream_ids(nats_url)
        except Exception:  # the stream may still be coming back
            stored = []
        if len(stored) >= count:
            break
        await asyncio.sleep(0.5)
    return stored


async def _wait_nats_noticed_gone(edge: Edge) -> None:
    # Still ready: an orchestrator must keep sending traffic to an edge that can serve it.
    async with httpx.AsyncClient(timeout=10) as probe:
        for _ in range(300):
            ready = await probe.get(f"{edge.url}/readyz")
            assert ready.status_code == 200, ready.text
            if ready.json()["nats_connected"] is False:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the edge never noticed NATS was gone")


def _asker(edge: Edge, key: str) -> Callable[[str], Awaitable[str]]:
    client = openai.AsyncOpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=10)

    async def ask(tag: str) -> str:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": tag}]
        )
        return raw.headers["x-ingate-request-id"]

    return ask


@pytest.mark.timeout(300)
async def test_records_survive_a_nats_outage(tmp_path: Path, mock_url: str, logs_dir: Path) -> None:
    nats = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    nats.start()
    edge = start_edge(nats.url, mock_url, logs_dir, name="edge-outage", data_dir=tmp_path / "edge-data")
    try:
        ask = _asker(edge, edge.new_key("--name", "outage"))
        served = [await ask(f"before {i}") for i in range(20)]
        nats.stop()
        await _wait_nats_noticed_gone(edge)
        outage_ends = time.monotonic() + 10
        while time.monotonic() < outage_ends:  # traffic all through the outage
            served += await asyncio.gather(*(ask("during") for _ in range(5)))
            await asyncio.sleep(0.2)
        nats.start()
        served += [await ask(f"after {i}") for i in range(20)]

        stored = await _wait_stored(nats.url, len(served))
        assert len(served) > 100
        assert sorted(stored) == sorted(served), "records lost or stored twice"
    finally:
        edge.service.stop()
        nats.stop()


@pytest.mark.timeout(300)
async def test_records_survive_an_edge_killed_while_nats_is_away(
    tmp_path: Path, mock_url: str, logs_dir: Path
) -> None:
    nats = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    nats.start()
    edge = start_edge(nats.url, mock_url, logs_dir, name="edge-killed", data_dir=tmp_path / "edge-data")
    successor: Edge | None = None
    try:
        ask = _asker(edge, edge.new_key("--name", "killed"))
        served = [await ask(f"before {i}") for i in range(5)]
        assert len(await _wait_stored(nats.url, len(served))) == len(served)
        nats.stop()
        await _wait_nats_noticed_gone(edge)
        served += await asyncio.gather(*(ask(f"during {i}") for i in range(40)))
        edge.service.process.kill()  # no chance to move its memory to the spool file
        edge.service.process.wait(30)

        nats.start()
        # The same port and data dir: the successor finds the journal the killed edge left.
        successor = launch_edge(
            "edge-killed-successor", edge.env, int(edge.env["INGATE_EDGE_PORT"]), logs_dir
        )
        stored = await _wait_stored(nats.url, len(served))
        assert sorted(stored) == sorted(served), "records lost or stored twice"
        assert "kept by a stopped edge's journal" in successor.service.output()
    finally:
        edge.service.stop()
        if successor is not None:
            successor.service.stop()
        nats.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of the test's own, which it may stop and start."""
    nats = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    nats.start()
    yield nats
    nats.stop()


@pytest.mark.timeout(300)
async def test_a_budget_holds_on_an_edge_alone_while_nats_is_away(
    tmp_path: Path, own_nats: NatsServer, mock_url: str, logs_dir: Path
) -> None:
    nats = own_nats
    edge = start_edge(
        nats.url, mock_url, logs_dir, name="edge-budget-outage", data_dir=tmp_path / "edge-data"
    )
    try:
        key = edge.new_key("--budget-usd", "0.002")
        client = openai.AsyncOpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=30)

        async def ask() -> bool:
            try:
                await client.chat.completions.create(model="gpt-4o", messages=_HELLO, max_tokens=20)
            except openai.RateLimitError as refused:
                return refused.code != "insufficient_quota"  # anything else fails the test below
            return True

        assert await ask()
        nats.stop()
        await _wait_nats_noticed_gone(edge)
        # The edge checks on its own: the spend it saw plus what it has in flight.
        started = time.monotonic()
        outcomes = [await ask() for _ in range(20)]
        assert True in outcomes and False in outcomes
        assert outcomes == sorted(outcomes, reverse=True)  # once spent, refused from then on
        print(f"during the outage: {sum(outcomes)} admitted in {time.monotonic() - started:.1f}s")
    finally:
        edge.service.stop()
