"""NATS stopped for 10 s under traffic: the edge answers every request meanwhile, and every
request's record reaches the events stream exactly once after NATS is back."""

import asyncio
import time
from pathlib import Path

import httpx
import openai
import pytest

from ingate_contracts.subjects import EVENTS_STREAM
from ingate_nats import NatsServer, connect
from tests.conftest import start_edge
from tests.support.processes import free_port


async def _stream_ids(nats_url: str) -> list[str]:
    client = await connect(nats_url, "test-stream-reader", reconnect=False)
    try:
        js = client.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        ids: list[str] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(EVENTS_STREAM, seq)
            ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
        return ids
    finally:
        await client.close()


@pytest.mark.timeout(300)
async def test_records_survive_a_nats_outage(tmp_path: Path, mock_url: str, logs_dir: Path) -> None:
    nats = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    nats.start()
    edge = start_edge(nats.url, mock_url, logs_dir, name="edge-outage", data_dir=tmp_path / "edge-data")
    try:
        key = edge.new_key("--name", "outage")
        client = openai.AsyncOpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=10)

        async def ask(tag: str) -> str:
            raw = await client.chat.completions.with_raw_response.create(
                model="gpt-4o", messages=[{"role": "user", "content": tag}]
            )
            return raw.headers["x-ingate-request-id"]

        served = [await ask(f"before {i}") for i in range(20)]
        nats.stop()
        # Still ready: an orchestrator must keep sending traffic to an edge that can serve it.
        probe = httpx.AsyncClient(timeout=10)
        for _ in range(300):  # until the edge has noticed NATS is gone
            ready = await probe.get(f"{edge.url}/readyz")
            assert ready.status_code == 200, ready.text
            if ready.json()["nats_connected"] is False:
                break
            await asyncio.sleep(0.1)
        assert ready.json()["nats_connected"] is False
        await probe.aclose()
        outage_ends = time.monotonic() + 10
        while time.monotonic() < outage_ends:  # traffic all through the outage
            served += await asyncio.gather(*(ask("during") for _ in range(5)))
            await asyncio.sleep(0.2)
        nats.start()
        served += [await ask(f"after {i}") for i in range(20)]

        deadline = time.monotonic() + 30
        stored: list[str] = []
        while time.monotonic() < deadline:
            try:
                stored = await _stream_ids(nats.url)
            except Exception:  # the stream may still be coming back
                stored = []
            if len(stored) >= len(served):
                break
            await asyncio.sleep(0.5)
        assert len(served) > 100
        assert sorted(stored) == sorted(served), "records lost or stored twice"
    finally:
        edge.service.stop()
        nats.stop()
