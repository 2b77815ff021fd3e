"""A NATS JetStream cluster of three nats-server processes on loopback, nodes killable one by one."""

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from nats.aio.client import Client

from ingate_nats import connect, nats_server_binary
from tests.support.processes import Service, clean_env, free_port

CLUSTER_NAME = "ingate-test"
_META_LEADER = re.compile(r"new metadata leader: (\w+)/")


@dataclass
class Node:
    name: str
    port: int
    cluster_port: int
    store_dir: Path
    service: Service | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.service is not None and self.service.process.poll() is None


class NatsCluster:
    """`size` servers routed to each other, each with JetStream and a store of its own."""

    def __init__(self, root: Path, logs_dir: Path, size: int = 3) -> None:
        self.logs_dir = logs_dir
        self.nodes = [Node(f"n{i}", free_port(), free_port(), root / f"n{i}") for i in range(1, size + 1)]

    @property
    def url(self) -> str:
        """Every server, comma-separated: the INGATE_NATS_URL of a clustered deployment."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    async def start(self, timeout_s: float = 60.0) -> None:
        for node in self.nodes:
            self._start(node)
        await self.wait_jetstream(timeout_s)

    def _start(self, node: Node) -> None:
        node.store_dir.mkdir(parents=True, exist_ok=True)
        routes = ",".join(f"nats://127.0.0.1:{n.cluster_port}" for n in self.nodes if n is not node)
        command = [
            nats_server_binary(),
            "--server_name", node.name,
            "--addr", "127.0.0.1",
            "--port", str(node.port),
            "--cluster_name", CLUSTER_NAME,
            "--cluster", f"nats://127.0.0.1:{node.cluster_port}",
            "--routes", routes,
            "-js",
            "--store_dir", str(node.store_dir),
        ]  # fmt: skip
        node.service = Service(f"nats-{node.name}", command, clean_env(), self.logs_dir)
        node.service.wait_log("Server is ready")

    async def wait_jetstream(self, timeout_s: float = 60.0) -> None:
        """Until the JetStream API answers (a meta leader is elected) through every running node."""
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            if not node.running:
                continue
            while True:
                if await _jetstream_answers(node.url):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JetStream not available on {node.name} in {timeout_s}s")
                await asyncio.sleep(0.2)

    def meta_leader(self) -> str:
        """The JetStream meta leader, as the last running node to log an election saw it."""
        for node in self.nodes:
            if node.running and node.service is not None:
                found = _META_LEADER.findall(node.service.log_path.read_text(errors="replace"))
                if found:
                    return str(found[-1])
        return ""

    def kill(self, name: str) -> None:
        """SIGKILL, as a crashed machine: no goodbye to the routes, no flush of the store."""
        node = self.node(name)
        assert node.service is not None
        node.service.process.kill()
        node.service.process.wait()

    def stop(self) -> None:
        for node in self.nodes:
            if node.service is not None:
                node.service.stop()


async def _jetstream_answers(url: str) -> bool:
    client: Client | None = None
    try:
        client = await connect(url, "test-cluster-probe", reconnect=False)
        reply = await client.request("$JS.API.INFO", b"", timeout=2.0)
        return "error" not in json.loads(reply.data)
    except Exception:
        return False
    finally:
        if client is not None:
            await client.close()


async def leader(client: Client, stream: str, consumer: str | None = None) -> str:
    """The server leading a stream's (or one of its consumers') replicas; "" while there is none."""
    js = client.jetstream()
    info = await (js.stream_info(stream) if consumer is None else js.consumer_info(stream, consumer))
    return (info.cluster and info.cluster.leader) or ""


async def move_leader(
    client: Client, node: str, stream: str, consumer: str | None = None, timeout_s: float = 60.0
) -> None:
    """Make `node` the leader: ask the current one to step down in its favour until it is."""
    kind = "STREAM" if consumer is None else "CONSUMER"
    target = stream if consumer is None else f"{stream}.{consumer}"
    request = json.dumps({"placement": {"preferred": node}}).encode()
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(Exception):  # an election under way
            if await leader(client, stream, consumer) == node:
                return
            await client.request(f"$JS.API.{kind}.LEADER.STEPDOWN.{target}", request, timeout=5.0)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{target} not led by {node} after {timeout_s}s")
        await asyncio.sleep(0.2)
