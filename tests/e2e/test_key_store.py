"""`KeyStore` writes against a real NATS: concurrent changes are never lost, bad values never stored,
and the spend reader copes with a bucket that does not exist yet."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from nats.aio.client import Client
from nats.js.kv import KeyValue

from ingate_contracts.key_limits import KeyChanges, LimitError
from ingate_nats import KeyStore, NatsServer, connect, key_bucket
from ingate_nats.keystore import KeyConflictError, KeyRevokedError
from ingate_nats.spend import read_spend
from tests.support.processes import free_port


@pytest.fixture
async def client(nats_server: NatsServer) -> AsyncIterator[Client]:
    nc = await connect(nats_server.url, "key-store-tests")
    yield nc
    await nc.close()


class Interloper:
    """The key bucket as one writer sees it, with another writer's change landing just before
    each of the first `times` writes."""

    def __init__(self, bucket: KeyValue, other: KeyStore, key_id: str, change: KeyChanges | None, times: int):
        self._bucket = bucket
        self._other = other
        self._key_id = key_id
        self._change = change  # None: the other writer revokes the key
        self._left = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bucket, name)

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        if self._left > 0:
            self._left -= 1
            if self._change is None:
                await self._other.revoke(self._key_id)
            else:
                await self._other.update(self._key_id, self._change)
        revision: int = await self._bucket.update(key, value, last=last)
        return revision


async def stores(client: Client, change: KeyChanges | None, times: int) -> tuple[KeyStore, KeyStore, str]:
    bucket = await key_bucket(client)
    other = KeyStore(bucket, client.jetstream())
    _, record = await other.create(name="contended", attributes=KeyChanges(rpm=1, tpm=1))
    interloper = Interloper(bucket, other, record.key_id, change, times)
    return KeyStore(cast(KeyValue, interloper), client.jetstream()), other, record.key_id


async def test_a_concurrent_change_is_kept_and_ours_applied_on_top(client: Client) -> None:
    ours, other, key_id = await stores(client, KeyChanges(tpm=999, models=("gpt-*",)), times=2)
    updated = await ours.update(key_id, KeyChanges(rpm=5))
    stored = {r.key_id: r for r in await other.records()}[key_id]
    assert stored == updated
    assert (stored.rpm, stored.tpm, stored.models) == (5, 999, ("gpt-*",))


async def test_a_key_that_keeps_changing_gives_up_cleanly(client: Client) -> None:
    ours, other, key_id = await stores(client, KeyChanges(tpm=2), times=100)
    with pytest.raises(KeyConflictError, match=f"{key_id} kept changing"):
        await ours.update(key_id, KeyChanges(rpm=5))
    assert {r.key_id: r for r in await other.records()}[key_id].rpm == 1


async def test_an_update_racing_a_revoke_is_refused(client: Client) -> None:
    ours, other, key_id = await stores(client, None, times=1)
    with pytest.raises(KeyRevokedError):
        await ours.update(key_id, KeyChanges(rpm=5))
    stored = {r.key_id: r for r in await other.records()}[key_id]
    assert (stored.status, stored.rpm) == ("revoked", 1)


async def test_a_revoke_racing_an_update_still_revokes(client: Client) -> None:
    ours, other, key_id = await stores(client, KeyChanges(tpm=7), times=1)
    revoked = await ours.revoke(key_id)
    stored = {r.key_id: r for r in await other.records()}[key_id]
    assert stored == revoked
    assert (stored.status, stored.tpm) == ("revoked", 7)


@pytest.mark.parametrize(
    "attributes", [KeyChanges(rpm=0), KeyChanges(budget_usd=float("nan")), KeyChanges(providers=("A B",))]
)
async def test_the_store_refuses_what_no_edge_should_read(client: Client, attributes: KeyChanges) -> None:
    store = await KeyStore.open(client)
    before = len(await store.records())
    with pytest.raises(LimitError):
        await store.create(name="refused", attributes=attributes)
    with pytest.raises(LimitError):
        await store.create(name="\x1b[2J")
    assert len(await store.records()) == before


async def test_spend_reads_zero_before_any_edge_made_the_bucket(tmp_path: Path) -> None:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    try:
        nc = await connect(server.url, "spend-reader")
        try:
            assert await read_spend(nc, ["key_000000000001", "key_000000000002"], "2026-05") == {
                "key_000000000001": 0,
                "key_000000000002": 0,
            }
        finally:
            await nc.close()
    finally:
        server.stop()
