"""Two NATS clients on one real nats-server: two edges, in miniature."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from ingate_nats import connect
from ingate_nats.server import NatsServer
from tests.support.processes import free_port


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[tuple[Client, Client]]:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    first = await connect(server.url, "limits-a")
    second = await connect(server.url, "limits-b")
    yield first, second
    await first.close()
    await second.close()
    server.stop()
