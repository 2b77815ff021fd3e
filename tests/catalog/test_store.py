"""CatalogStore against a real nats-server: round trips, odd names, and audit rows without keys."""

from collections.abc import AsyncIterator

import msgspec
import nats
import pytest
from nats.aio.client import Client

from ingate_config.model import EventsConfig
from ingate_contracts.audit import AuditEvent
from ingate_contracts.catalog import ProviderEntry, RouteEntry, RouteTargetEntry
from ingate_contracts.subjects import AUDIT_SUBJECT
from ingate_nats import NatsServer
from ingate_nats.catalog import CatalogStore
from ingate_nats.streams import ensure_event_streams

SECRET = "sk-upstream-secret-credential"


@pytest.fixture
async def client(nats_server: NatsServer) -> AsyncIterator[Client]:
    nc = await nats.connect(nats_server.url)
    yield nc
    await nc.close()


async def test_provider_and_route_round_trip_with_audit(client: Client) -> None:
    js = client.jetstream()
    await ensure_event_streams(js, EventsConfig())
    store = CatalogStore(js)
    name = "team a/prov:1"
    entry = ProviderEntry(format="openai", base_url="http://127.0.0.1:9/v1", api_key=SECRET)
    await store.put_provider(name, entry, actor="admin:ops")
    assert await store.provider(name) == entry
    assert (await store.providers())[name] == entry
    route = RouteEntry(targets=[RouteTargetEntry(provider=name, model="gpt-x")])
    await store.put_route("fast", route, actor="admin:ops")
    assert await store.route("fast") == route
    await store.delete_provider(name, actor="admin:ops")
    await store.delete_route("fast", actor="admin:ops")
    assert await store.provider(name) is None
    assert await store.routes() == {}
    sub = await js.subscribe(AUDIT_SUBJECT, ordered_consumer=True)
    audit = [msgspec.json.decode((await sub.next_msg(timeout=30)).data, type=AuditEvent) for _ in range(4)]
    assert [a.action for a in audit] == ["provider.create", "route.create", "provider.delete", "route.delete"]
    assert all(a.actor == "admin:ops" for a in audit)
    assert all(SECRET not in a.before + a.after for a in audit)
