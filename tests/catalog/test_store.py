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
ACTOR = "admin:store-test"  # other tests of the session write audit rows too


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
    await store.put_provider(name, entry, actor=ACTOR)
    assert await store.provider(name) == entry
    assert (await store.providers())[name] == entry
    route = RouteEntry(targets=[RouteTargetEntry(provider=name, model="gpt-x")])
    await store.put_route("fast", route, actor=ACTOR)
    assert await store.route("fast") == route
    await store.delete_provider(name, actor=ACTOR)
    await store.delete_route("fast", actor=ACTOR)
    assert await store.provider(name) is None
    assert await store.routes() == {}
    # Deleting what is not there changes nothing, so it leaves no audit row.
    assert await store.delete_provider(name, actor=ACTOR) is False
    assert await store.delete_route("fast", actor=ACTOR) is False
    await store.put_route("after", route, actor=ACTOR)
    sub = await js.subscribe(AUDIT_SUBJECT, ordered_consumer=True)
    audit: list[AuditEvent] = []
    while len(audit) < 5:
        row = msgspec.json.decode((await sub.next_msg(timeout=30)).data, type=AuditEvent)
        audit.extend([row] if row.actor == ACTOR else [])
    actions = ["provider.create", "route.create", "provider.delete", "route.delete", "route.create"]
    assert [a.action for a in audit] == actions
    assert all(a.actor == ACTOR for a in audit)
    assert all(SECRET not in a.before + a.after for a in audit)
    await store.delete_route("after", actor=ACTOR)  # the session's edges watch this bucket too
