"""The in-memory copy of a KV bucket every edge keeps: complete when it says it is loaded."""

import asyncio
import time

import pytest
from nats.aio.client import Client
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from ingate_nats.mirror import KvMirror


@pytest.fixture
def client(private_nats: Client) -> Client:
    return private_nats


async def _bucket(client: Client) -> KeyValue:
    js = client.jetstream()
    try:
        return await js.key_value("mirror_test")
    except Exception:
        return await js.create_key_value(KeyValueConfig(bucket="mirror_test", history=1))


async def _loaded(client: Client) -> KvMirror[int]:
    mirror: KvMirror[int] = KvMirror(_bucket, int, "test")
    mirror.start(client)
    await asyncio.wait_for(mirror.loaded.wait(), 30)
    return mirror


async def test_loaded_means_every_entry_is_there(client: Client) -> None:
    bucket = await _bucket(client)
    for i in range(300):
        await bucket.put(f"k{i}", str(i).encode())
    # nats-py's end-of-snapshot marker can overtake entries already sent; a fresh start
    # must never look loaded but short (measured: about 1 start in 200 without the guard).
    for _ in range(60):
        mirror = await _loaded(client)
        count = len(mirror)
        await mirror.stop()
        assert count == 300


async def test_empty_bucket_loads_then_follows_changes(client: Client) -> None:
    bucket = await _bucket(client)
    mirror = await _loaded(client)
    assert len(mirror) == 0
    await bucket.put("a", b"1")
    await bucket.put("bad", b"not a number")  # skipped, the watch goes on
    await bucket.put("b", b"2")
    await bucket.delete("a")
    async with asyncio.timeout(30):
        while mirror.entries != {"b": 2}:  # noqa: ASYNC110 - polling what a watch fills in
            await asyncio.sleep(0.01)
    mirror.resync()  # as after a reconnect: a fresh snapshot, never an empty moment
    for _ in range(50):
        assert mirror.entries == {"b": 2}
        await asyncio.sleep(0.002)
    await mirror.stop()


async def test_a_watch_whose_consumer_vanished_is_made_again_within_seconds(client: Client) -> None:
    """The server holding the watch's consumer dies (here: the consumer is deleted, which the
    client sees the same way, as silence): the mirror must notice and follow changes again.
    With nats-py's own KV watch (5 s heartbeats, two missed) this took about 10 s."""
    js = client.jetstream()
    bucket = await _bucket(client)
    mirror = await _loaded(client)
    [watch] = await js.consumers_info("KV_mirror_test")
    await js.delete_consumer("KV_mirror_test", watch.name)
    await bucket.put("after", b"7")
    written = time.monotonic()
    async with asyncio.timeout(30):
        while mirror.entries.get("after") != 7:  # noqa: ASYNC110 - polling what a watch fills in
            await asyncio.sleep(0.01)
    took = time.monotonic() - written
    await mirror.stop()
    # Half of nats-py's 10 s: far above the 0.5-0.75 s a missed heartbeat takes, so a busy
    # machine does not fail it, and far below what the old watch needed.
    assert took < 5.0, f"the change took {took:.2f} s to arrive"


async def test_a_holder_hears_of_the_load_and_of_each_change(client: Client) -> None:
    js = client.jetstream()
    bucket = await js.create_key_value(KeyValueConfig(bucket="mirror_changes", history=1))
    await bucket.put("before", b"1")
    seen: list[dict[str, int]] = []

    async def open_bucket(_: Client) -> KeyValue:
        return bucket

    mirror: KvMirror[int] = KvMirror(open_bucket, int, "changes", lambda: seen.append(dict(mirror.entries)))
    mirror.start(client)
    await asyncio.wait_for(mirror.loaded.wait(), 30)
    assert seen == [{"before": 1}]  # the whole snapshot, once, never a part of it
    await bucket.put("after", b"2")
    await bucket.delete("before")
    async with asyncio.timeout(30):
        while len(seen) < 3:  # noqa: ASYNC110 - polling what a watch fills in
            await asyncio.sleep(0.01)
    assert seen == [{"before": 1}, {"before": 1, "after": 2}, {"after": 2}]
    await mirror.stop()
