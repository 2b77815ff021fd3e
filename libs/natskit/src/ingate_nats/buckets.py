"""The KV buckets behind limits, budgets and cooldowns, created on first use by whoever comes first."""

from typing import Final, NamedTuple

from nats.aio.client import Client
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

from ingate_contracts.subjects import (
    CONSOLE_SESSIONS_BUCKET,
    COOLDOWNS_BUCKET,
    LIMITS_BUCKET,
    SPEND_BUCKET,
)


class _Kind(NamedTuple):
    description: str
    ttl_s: float
    storage: StorageType


_KINDS: Final = {
    # Shared counting state, cheap to lose (buckets start full again): memory. An idle
    # bucket is full after a minute; an hour also lets a large token debt run out.
    LIMITS_BUCKET: _Kind("Ingate rate-limit buckets shared by every edge", 3600.0, StorageType.MEMORY),
    # Spend must survive restarts of the edges and of NATS itself: file. A little over a
    # year of months is enough history.
    SPEND_BUCKET: _Kind("Ingate spend per key and month, in micro-USD", 400 * 24 * 3600.0, StorageType.FILE),
    # Losing cooldowns (a NATS restart) only means a failing target is tried again: memory.
    # A cooldown lasts minutes at most; a day clears what a vanished edge left behind.
    COOLDOWNS_BUCKET: _Kind("Ingate targets skipped after upstream errors", 24 * 3600.0, StorageType.MEMORY),
    # A console sign-in lasts 12 hours; the bucket's TTL removes what nobody signed out of. File,
    # so a NATS restart does not sign every operator out.
    CONSOLE_SESSIONS_BUCKET: _Kind("Ingate web console sessions", 12 * 3600.0, StorageType.FILE),
}


async def _bucket(client: Client, name: str, replicas: int) -> KeyValue:
    js = client.jetstream()
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        kind = _KINDS[name]
        config = KeyValueConfig(
            bucket=name,
            description=kind.description,
            history=1,
            ttl=kind.ttl_s,
            storage=kind.storage,
            replicas=replicas,
        )
        return await js.create_key_value(config)


async def limits_bucket(client: Client, replicas: int = 1) -> KeyValue:
    return await _bucket(client, LIMITS_BUCKET, replicas)


async def spend_bucket(client: Client, replicas: int = 1) -> KeyValue:
    return await _bucket(client, SPEND_BUCKET, replicas)


async def cooldowns_bucket(client: Client, replicas: int = 1) -> KeyValue:
    return await _bucket(client, COOLDOWNS_BUCKET, replicas)


async def console_sessions_bucket(client: Client, replicas: int = 1) -> KeyValue:
    return await _bucket(client, CONSOLE_SESSIONS_BUCKET, replicas)
