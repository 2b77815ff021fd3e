"""The admin token store on a bucket of its own server: empty, and when NATS fails under it."""

import pytest
from nats.aio.client import Client
from nats.errors import ConnectionClosedError

from ingate_config import EventsConfig
from ingate_nats.admin_tokens import AdminTokenNotFoundError, AdminTokenStore
from ingate_nats.streams import ensure_event_streams


async def test_an_empty_bucket_has_no_tokens(private_nats: Client) -> None:
    store = AdminTokenStore(private_nats.jetstream())
    assert await store.list() == []
    with pytest.raises(AdminTokenNotFoundError):
        await store.revoke("nobody", actor="test")


async def test_a_failing_nats_is_not_taken_for_an_empty_bucket(private_nats: Client) -> None:
    js = private_nats.jetstream()
    await ensure_event_streams(js, EventsConfig())  # the audit row of the create
    store = AdminTokenStore(js)
    _, record = await store.create("ops", actor="test")
    assert [t.name for t in await store.list()] == ["ops"]
    await private_nats.close()
    # Read as "no tokens", a revoke would answer "no active admin token" while the token stays valid.
    with pytest.raises(ConnectionClosedError):
        await store.revoke(record.name, actor="test")
