"""A nats-server of a test's own: these tests reset or fill streams the session's server shares."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from ingate_nats import connect
from ingate_nats.server import NatsServer
from tests.support.processes import free_port


@pytest.fixture
async def private_nats(tmp_path: Path) -> AsyncIterator[Client]:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    client = await connect(server.url, "integration-test")
    yield client
    await client.close()
    server.stop()
