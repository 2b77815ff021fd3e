"""API keys in a NATS KV bucket, stored under their SHA-256 hash and never in clear.

`KeyStore` is the administrative side (create, list, revoke) used by the CLI;
`KeyCache` is the read side every edge process keeps in memory, fed by a watch on
the bucket so that a revoke reaches every replica as soon as NATS delivers it.
"""

import asyncio
import contextlib
import datetime as dt
import logging

import msgspec
from nats.aio.client import Client
from nats.js.errors import BucketNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from ingate_contracts import (
    KeyRecord,
    generate_key,
    hash_key,
    key_hint,
    key_id_for_hash,
    looks_like_key,
    looks_like_key_id,
)
from ingate_contracts.subjects import KEYS_BUCKET

log = logging.getLogger("ingate.keys")

_encode = msgspec.json.Encoder().encode
_decode_record = msgspec.json.Decoder(KeyRecord).decode


class KeyNotFoundError(LookupError):
    pass


async def key_bucket(client: Client) -> KeyValue:
    """The key bucket, created on first use (idempotent, safe from several processes)."""
    js = client.jetstream()
    try:
        return await js.key_value(KEYS_BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(
            bucket=KEYS_BUCKET, history=5, description="Ingate API keys by SHA-256 hash"
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class KeyStore:
    def __init__(self, bucket: KeyValue) -> None:
        self._bucket = bucket

    @classmethod
    async def open(cls, client: Client) -> "KeyStore":
        return cls(await key_bucket(client))

    async def create(self, name: str = "", user_id: str = "") -> tuple[str, KeyRecord]:
        """Make a key; the caller shows the returned key once, then it exists only as a hash."""
        key = generate_key()
        key_hash = hash_key(key)
        record = KeyRecord(
            key_id=key_id_for_hash(key_hash),
            name=name,
            user_id=user_id,
            created_at=_now(),
            hint=key_hint(key),
        )
        await self._bucket.create(key_hash, _encode(record))
        return key, record

    async def records(self) -> list[KeyRecord]:
        return [record for _, record in await self._all()]

    async def revoke(self, key_or_id: str) -> KeyRecord:
        key_hash, record, revision = await self._find(key_or_id)
        if record.status == "revoked":
            return record
        revoked = msgspec.structs.replace(record, status="revoked", revoked_at=_now())
        await self._bucket.update(key_hash, _encode(revoked), last=revision)
        return revoked

    async def _all(self) -> list[tuple[str, KeyRecord]]:
        try:
            hashes = await self._bucket.keys()
        except NoKeysError:
            return []
        found = []
        for key_hash in hashes:
            entry = await self._bucket.get(key_hash)
            if entry.value:
                found.append((key_hash, _decode_record(entry.value)))
        return sorted(found, key=lambda item: item[1].created_at)

    async def _find(self, key_or_id: str) -> tuple[str, KeyRecord, int]:
        if looks_like_key(key_or_id):
            candidates = [hash_key(key_or_id)]
        elif looks_like_key_id(key_or_id):
            candidates = [h for h, r in await self._all() if r.key_id == key_or_id]
        else:
            raise KeyNotFoundError(f"{key_or_id!r} is neither an Ingate key nor a key id")
        for key_hash in candidates:
            try:
                entry = await self._bucket.get(key_hash)
            except Exception:  # noqa: S112 - a missing key is simply not a match
                continue
            if entry.value and entry.revision is not None:
                return key_hash, _decode_record(entry.value), entry.revision
        raise KeyNotFoundError(f"no key matches {key_or_id!r}")


class KeyCache:
    """In-memory view of the key bucket, kept current by a watch; lookups are a dict read."""

    def __init__(self) -> None:
        self._records: dict[str, KeyRecord] = {}
        self.loaded = asyncio.Event()
        self._restart = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def lookup(self, key: str) -> KeyRecord | None:
        return self._records.get(hash_key(key))

    def __len__(self) -> int:
        return len(self._records)

    def start(self, client: Client) -> None:
        self._task = asyncio.create_task(self._run(client), name="ingate-key-watch")

    def resync(self) -> None:
        """Ask for a fresh watch, e.g. after a reconnect (an ordered consumer may be gone)."""
        self._restart.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, client: Client) -> None:
        while True:
            try:
                await self._watch_once(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("key watch failed, retrying: %s", exc)
                await asyncio.sleep(0.5)

    async def _watch_once(self, client: Client) -> None:
        bucket = await key_bucket(client)
        watcher = await bucket.watchall()
        self._restart.clear()
        fresh: dict[str, KeyRecord] | None = {}
        restart = asyncio.ensure_future(self._restart.wait())
        try:
            while not restart.done():
                next_update = watcher.updates(timeout=3600)  # type: ignore[no-untyped-call]
                update = asyncio.ensure_future(next_update)
                done, _ = await asyncio.wait({update, restart}, return_when=asyncio.FIRST_COMPLETED)
                if update not in done:
                    update.cancel()
                    break
                entry = update.result()
                if entry is None:  # end of the initial snapshot
                    if fresh is not None:
                        self._records = fresh
                        fresh = None
                    self.loaded.set()
                    continue
                target = fresh if fresh is not None else self._records
                if entry.operation in ("DEL", "PURGE") or not entry.value:
                    target.pop(entry.key, None)
                else:
                    target[entry.key] = _decode_record(entry.value)
        finally:
            restart.cancel()
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
