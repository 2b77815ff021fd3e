"""The cluster test: a three-node NATS JetStream cluster loses a node (kill -9) under traffic.

Ingate runs against it as in production (`INGATE_EVENTS_STREAM_REPLICAS=3`, the KV buckets
with the same replica count, `INGATE_NATS_URL` listing all three servers): an edge, the
analytics service into embedded ClickHouse, and the mock provider, all real processes.

The node killed is the worst single one: the server holding the edge's key watch (an
ordered consumer lives on one server only) is first made leader of the events stream, of
the analytics consumer and of the key bucket; the JetStream meta leader falls where it may
(printed). It is killed with SIGKILL in the middle of a burst of 500 requests (plain and
streamed, 24 at a time). Every request must still be answered 200, every record must land
in ClickHouse exactly once, and a key revoked once the cluster has elected new leaders must
be refused by the edge within the contract's second, counted from the stored revoke.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest
from nats.aio.client import Client

from ingate_cli.keys import CommandError
from ingate_cli.usage import ask
from ingate_contracts.subjects import ANALYTICS_CONSUMER, EVENTS_STREAM, KEYS_BUCKET
from ingate_contracts.usage import UsageQuery
from ingate_nats import KeyStore, connect
from tests.analytics.processes import analytics_env, query_data_dir
from tests.conftest import Edge, start_edge
from tests.support.cluster import NatsCluster, leader, move_leader
from tests.support.processes import INGATE, Service

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

REPLICAS = "3"
REQUESTS = 500
CONCURRENCY = 24
KEYS_STREAM = f"KV_{KEYS_BUCKET}"
KILL_AFTER = 150  # answered requests before the node is killed


@dataclass
class Burst:
    statuses: list[int] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    peak_spooled: int = 0  # most records waiting in the edge's spool at one sample
    publish_failures: int = 0
    spooled_to_file: int = 0
    dropped: int = 0


async def _leaders(client: Client) -> dict[str, str]:
    """Which server leads the events stream, the analytics consumer and the key bucket."""
    return {
        "stream": await leader(client, EVENTS_STREAM),
        "consumer": await leader(client, EVENTS_STREAM, ANALYTICS_CONSUMER),
        "keys": await leader(client, KEYS_STREAM),
    }


async def _doom_one_node(client: Client) -> str:
    """The node holding the edge's key watch, made leader of everything else too: its death is
    the worst one node's can be (see the module docstring)."""
    js = client.jetstream()
    for stream in (EVENTS_STREAM, KEYS_STREAM):
        assert (await js.stream_info(stream)).config.num_replicas == 3
    watches = [c for c in await js.consumers_info(KEYS_STREAM) if c.push_bound]
    assert len(watches) == 1, f"expected the edge's watch alone, found {watches}"
    node = (watches[0].cluster and watches[0].cluster.leader) or ""
    await move_leader(client, node, EVENTS_STREAM)
    await move_leader(client, node, EVENTS_STREAM, ANALYTICS_CONSUMER)
    await move_leader(client, node, KEYS_STREAM)
    return node


async def _leaders_without(client: Client, dead: str) -> dict[str, str]:
    """The leaders once every one is elected anew among the living."""
    deadline = time.monotonic() + 60
    while True:
        try:
            leaders = await _leaders(client)
        except Exception:  # no leader yet, or the client is moving to a live server
            leaders = {}
        if leaders and all(leaders.values()) and dead not in leaders.values():
            return leaders
        assert time.monotonic() < deadline, f"leaders still {leaders} 60 s after {dead} died"
        await asyncio.sleep(0.1)


def _metric(text: str, name: str) -> int:
    for line in text.splitlines():
        if line.startswith(f"{name} ") or line.startswith(f"{name}_total "):
            return int(float(line.split()[-1]))
    return 0


async def _watch_spool(edge: Edge, burst: Burst, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=edge.url, timeout=5) as http:
        while not stop.is_set():
            text = (await http.get("/metrics")).text
            burst.peak_spooled = max(burst.peak_spooled, _metric(text, "ingate_edge_events_spooled"))
            burst.publish_failures = _metric(text, "ingate_edge_events_publish_failures")
            burst.spooled_to_file = _metric(text, "ingate_edge_events_spooled_to_file")
            burst.dropped = _metric(text, "ingate_edge_events_dropped")
            await asyncio.sleep(0.05)


async def _burst(edge: Edge, key: str, user: str, on_answered: "asyncio.Queue[int]") -> Burst:
    burst = Burst()
    client = openai.AsyncOpenAI(
        base_url=edge.url,
        api_key=key,
        max_retries=0,
        timeout=30,
        default_headers={"X-Ingate-User-Id": user},
    )
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        messages: list[openai.types.chat.ChatCompletionMessageParam] = [
            {"role": "user", "content": f"cluster {i}"}
        ]
        async with gate:
            if i % 3 == 0:
                raw = await client.chat.completions.with_raw_response.create(
                    model="gpt-4o-mini", messages=messages, stream=True
                )
                chunks = [chunk async for chunk in raw.parse()]
                assert chunks, "an empty stream"
            else:
                raw_plain = await client.chat.completions.with_raw_response.create(
                    model="gpt-4o", messages=messages
                )
                assert raw_plain.parse().choices
                raw = raw_plain  # type: ignore[assignment]
            burst.statuses.append(raw.status_code)
            burst.request_ids.append(raw.headers["x-ingate-request-id"])
            on_answered.put_nowait(len(burst.statuses))

    stop = asyncio.Event()
    sampler = asyncio.create_task(_watch_spool(edge, burst, stop))
    try:
        await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    finally:
        stop.set()
        await sampler
        await client.close()
    return burst


@dataclass
class Revoke:
    after_kill_s: float = 0.0  # when the revoke was stored, counted from the kill
    seen_s: float = 0.0  # from the revoke's return until the edge's first 401


async def _key_status(http: httpx.AsyncClient, key: str) -> int:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "revoked?"}]}
    reply = await http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    return reply.status_code


async def _kill_when_answered(cluster: NatsCluster, node: str, answered: "asyncio.Queue[int]") -> float:
    while await answered.get() < KILL_AFTER:
        pass
    cluster.kill(node)
    return time.monotonic()


async def _revoke(edge: Edge, store: KeyStore, key: str, killed_at: float) -> Revoke:
    """Revoke `key`, then ask the edge (idle otherwise: the burst is over) until it refuses it.
    The time counted is from the stored revoke to the edge's answer: NATS delivering the
    change to the edge's watch, plus one request's round trip."""
    await store.revoke(key)
    written = time.monotonic()
    async with httpx.AsyncClient(base_url=edge.url, timeout=5) as http:
        while await _key_status(http, key) != 401:
            assert time.monotonic() < written + 30, "the revoke never reached the edge"
    return Revoke(after_kill_s=written - killed_at, seen_s=time.monotonic() - written)


@asynccontextmanager
async def _stack(
    tmp_path: Path, mock_url: str, logs_dir: Path
) -> AsyncIterator[tuple[NatsCluster, Edge, Service]]:
    cluster = NatsCluster(tmp_path / "cluster", logs_dir)
    services: list[Service] = []
    try:
        await cluster.start()
        env = analytics_env(cluster.url, tmp_path / "analytics-data")
        env["INGATE_EVENTS_STREAM_REPLICAS"] = REPLICAS
        analytics = Service("analytics-cluster", [*INGATE, "analytics"], env, logs_dir)
        services.append(analytics)
        await asyncio.to_thread(analytics.wait_log, "ingate analytics consuming", 60)
        edge = await asyncio.to_thread(
            start_edge, cluster.url, mock_url, logs_dir, "edge-cluster", tmp_path / "edge-data",
            INGATE_EVENTS_STREAM_REPLICAS=REPLICAS,
        )  # fmt: skip
        services.append(edge.service)
        yield cluster, edge, analytics
    finally:
        for service in reversed(services):
            service.stop()
        cluster.stop()


async def _stored(nats_url: str, user: str, want: int) -> None:
    """Until the analytics service has counted `want` requests of `user` (it answers usage queries)."""
    deadline = time.monotonic() + 90
    seen = 0
    while time.monotonic() < deadline:
        try:
            reply = await ask(nats_url, UsageQuery(user=user, since_s=3600), timeout_s=2.0)
            seen = sum(row.requests for row in reply.users)
        except CommandError:
            seen = -1
        if seen >= want:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"analytics counted {seen} of {want} requests")


async def test_a_dead_nats_node_loses_no_request_no_record_and_no_revoke(
    tmp_path: Path, mock_url: str, logs_dir: Path
) -> None:
    async with _stack(tmp_path, mock_url, logs_dir) as (cluster, edge, analytics):
        key = edge.new_key("--name", "cluster-burst")
        doomed_key = edge.new_key("--name", "cluster-revoke")
        user = f"cluster-{uuid.uuid4().hex[:8]}"
        async with httpx.AsyncClient(base_url=edge.url, timeout=5) as http:
            assert await _key_status(http, doomed_key) == 200
        admin = await connect(cluster.url, "test-cluster-admin")
        try:
            node = await _doom_one_node(admin)
            meta = cluster.meta_leader()
            store = await KeyStore.open(admin, int(REPLICAS))
            answered: asyncio.Queue[int] = asyncio.Queue()
            killing = asyncio.create_task(_kill_when_answered(cluster, node, answered))
            burst = await _burst(edge, key, user, answered)
            killed_at = await killing
            burst_left_s = time.monotonic() - killed_at
            # As soon as the dead node's roles are taken over: with nats-py's own KV watch, the
            # edge's would still be silent for seconds here (10 s after the kill, at worst more).
            after = await _leaders_without(admin, node)
            revoke = await _revoke(edge, store, doomed_key, killed_at)
        finally:
            await admin.close()
        print(
            f"\nkilled {node} (leader of the events stream, the analytics consumer, the key bucket"
            f" and host of the edge's key watch; meta leader was {meta}); leaders after: {after},"
            f" meta leader {cluster.meta_leader()}; edge spool peak {burst.peak_spooled} records,"
            f" ({burst.spooled_to_file} to the file, {burst.dropped} dropped),"
            f" {burst.publish_failures} failed publish attempts; burst ended {burst_left_s:.1f} s after"
            f" the kill; revoke stored {revoke.after_kill_s:.1f} s after the kill, refused by the"
            f" edge {revoke.seen_s:.3f} s later"
        )
        assert burst.statuses == [200] * REQUESTS
        assert len(set(burst.request_ids)) == REQUESTS
        assert burst.dropped == 0
        # How soon (DESIGN.md: within a second) is printed above, not asserted: on a busy machine a
        # wall-clock bound fails by chance. `_revoke` fails if the revoke never arrives.

        await _stored(cluster.url, user, REQUESTS)
        print(f"all {REQUESTS} counted by analytics {time.monotonic() - killed_at:.1f} s after the kill")
        analytics.stop()  # its embedded database opens in one process at a time
        rows = query_data_dir(
            tmp_path / "analytics-data",
            "SELECT request_id, count() FROM ingate.requests WHERE user_id = {user:String}"
            " GROUP BY request_id",
            {"user": user},
        )
        [[final]] = query_data_dir(
            tmp_path / "analytics-data",
            "SELECT count() FROM ingate.requests FINAL WHERE user_id = {user:String}",
            {"user": user},
        )
        assert len(rows) == REQUESTS
        assert sorted(row[0] for row in rows) == sorted(burst.request_ids)
        assert [row for row in rows if row[1] != 1] == [], "records stored twice"
        assert final == REQUESTS
