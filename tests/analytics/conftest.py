"""Fixtures for the analytics tests: the shared chDB client behind one sink, NATS, a consumer."""

from collections.abc import AsyncIterator

import pytest
from clickhouse_connect.driver.client import Client as ClickHouseClient
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from ingate_analytics import ClickHouseSink
from ingate_config import EventsConfig
from ingate_nats import NatsServer, connect, ensure_event_streams
from tests.analytics.support import Lane


@pytest.fixture(scope="session")
async def sink(clickhouse: ClickHouseClient) -> AsyncIterator[ClickHouseSink]:
    """The one way these tests touch the session's chDB client, so it never serves two threads at once."""
    shared = ClickHouseSink(clickhouse)
    yield shared
    await shared.close(close_client=False)


@pytest.fixture(scope="session")
async def nats_client(nats_server: NatsServer) -> AsyncIterator[NatsClient]:
    client = await connect(nats_server.url, "analytics-tests")
    await ensure_event_streams(client.jetstream(), EventsConfig())
    yield client
    await client.close()


@pytest.fixture
def js(nats_client: NatsClient) -> JetStreamContext:
    return nats_client.jetstream()


@pytest.fixture
def lane() -> Lane:
    return Lane.new()
