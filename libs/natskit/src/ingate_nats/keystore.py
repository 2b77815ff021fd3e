"""API keys in a NATS KV bucket, stored under their SHA-256 hash and never in clear.

`KeyStore` is the administrative side (create, list, update, revoke) used by the CLI and the
admin API; every change it makes leaves a row in the audit trail, naming its actor;
`KeyCache` is the read side every edge process keeps in memory, fed by a watch on
the bucket so that a revoke reaches every replica as soon as NATS delivers it.
"""

import asyncio
import collections
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Final

import msgspec
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError
from nats.js.errors import KeyNotFoundError as EntryNotFoundError
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
from ingate_contracts.audit import audit_event
from ingate_contracts.key_export import KeyExport, RestoreOutcome
from ingate_contracts.key_limits import KeyChanges, apply_changes, check_changes, quoted, utc_iso
from ingate_contracts.subjects import KEYS_BUCKET
from ingate_nats.audit import publish_audit
from ingate_nats.mirror import KvMirror

log = logging.getLogger("ingate.keys")

_encode = msgspec.json.Encoder().encode
_decode_record = msgspec.json.Decoder(KeyRecord).decode
# Compare-and-set attempts before giving up on a key that other writers keep changing.
_WRITE_ATTEMPTS: Final = 5


class KeyNotFoundError(LookupError):
    pass


class KeyRevokedError(RuntimeError):
    """The key is revoked; it stays as it was revoked, for the record."""


class KeyConflictError(RuntimeError):
    """Others kept changing the key while this change was being written."""


async def key_bucket(client: Client, replicas: int = 1) -> KeyValue:
    """The key bucket, created on first use (idempotent, safe from several processes).

    `replicas`: copies kept in a NATS cluster (the events stream's setting, so keys are as
    safe as the records); only the first creation decides it."""
    js = client.jetstream()
    try:
        return await js.key_value(KEYS_BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(
            bucket=KEYS_BUCKET, history=5, description="Ingate API keys by SHA-256 hash", replicas=replicas
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class KeyStore:
    """`actor` names who makes the changes in their audit rows ("cli:<os user>", "admin:<token
    name>"); a method's own `actor` overrides it for one change."""

    def __init__(self, bucket: KeyValue, js: JetStreamContext, actor: str = "system") -> None:
        self._bucket = bucket
        self._js = js
        self.actor = actor

    @classmethod
    async def open(cls, client: Client, replicas: int = 1, actor: str = "system") -> "KeyStore":
        return cls(await key_bucket(client, replicas), client.jetstream(), actor)

    async def create(
        self,
        name: str = "",
        user_id: str = "",
        attributes: KeyChanges | None = None,
        *,
        actor: str | None = None,
    ) -> tuple[str, KeyRecord]:
        """Make a key; the caller shows the returned key once, then it exists only as a hash.

        `attributes` sets access lists and limits (and may set the name and user too); they are
        checked here as well, so no caller can store what the edges would not understand.
        """
        now = _now()
        given = check_changes(KeyChanges(name=name, user_id=user_id), now).given()
        given |= check_changes(attributes or KeyChanges(), now).given()
        key = generate_key()
        key_hash = hash_key(key)
        record = KeyRecord(
            key_id=key_id_for_hash(key_hash), created_at=utc_iso(now), hint=key_hint(key), **given
        )
        await self._bucket.create(key_hash, _encode(record))
        await self._audit(actor, "key.create", None, record)
        return key, record

    async def records(self) -> list[KeyRecord]:
        return [record for _, record in await self._all()]

    async def entries(self) -> list[tuple[str, KeyRecord]]:
        """Every (hash, record), oldest first: what `ingate keys export` writes."""
        return await self._all()

    async def restore_all(
        self, export: KeyExport, *, replace: bool, actor: str | None = None
    ) -> collections.Counter[RestoreOutcome]:
        """Every key of a checked export put back (`restore`); how many had each outcome."""
        outcomes: collections.Counter[RestoreOutcome] = collections.Counter()
        for entry in export.keys:
            outcomes[await self.restore(entry.key_hash, entry.record, replace=replace, actor=actor)] += 1
        return outcomes

    async def restore(
        self, key_hash: str, record: KeyRecord, *, replace: bool, actor: str | None = None
    ) -> RestoreOutcome:
        """Put back an exported record under its hash. One already stored is left as it is
        ("kept") unless `replace`; the same record is "unchanged"."""
        for _ in range(_WRITE_ATTEMPTS):
            found = await self._get(key_hash)
            try:
                if found is None:
                    await self._bucket.create(key_hash, _encode(record))
                    await self._audit(actor, "key.import", None, record)
                    return "added"
                stored, revision = found
                if stored == record:
                    return "unchanged"
                if not replace:
                    return "kept"
                await self._bucket.update(key_hash, _encode(record), last=revision)
            except KeyWrongLastSequenceError:  # written meanwhile: look again
                continue
            await self._audit(actor, "key.import", stored, record)
            return "replaced"
        raise KeyConflictError(f"{record.key_id} kept changing while being restored; try again")

    async def revoke(self, key_or_id: str, *, actor: str | None = None) -> KeyRecord:
        def revoked(record: KeyRecord) -> KeyRecord | None:
            if record.status == "revoked":
                return None
            return msgspec.structs.replace(record, status="revoked", revoked_at=utc_iso(_now()))

        return await self._change(key_or_id, revoked, "key.revoke", actor)

    async def update(self, key_or_id: str, changes: KeyChanges, *, actor: str | None = None) -> KeyRecord:
        """Set the given attributes, leave the others; refused for a revoked key."""
        checked = check_changes(changes, _now())

        def updated(record: KeyRecord) -> KeyRecord:
            if record.status == "revoked":
                raise KeyRevokedError(f"{record.key_id} is revoked and cannot be changed; create a new key")
            return apply_changes(record, checked, _now())

        return await self._change(key_or_id, updated, "key.update", actor)

    async def _change(
        self,
        key_or_id: str,
        change: Callable[[KeyRecord], KeyRecord | None],
        action: str,
        actor: str | None,
    ) -> KeyRecord:
        """Write `change(record)` only over the revision it was computed from, so a concurrent
        writer's change is never lost: on a conflict the record is read again and changed again.
        `change` returns None when there is nothing to write."""
        key_hash, record, revision = await self._find(key_or_id)
        for _ in range(_WRITE_ATTEMPTS):
            changed = change(record)
            if changed is None:
                return record
            try:
                await self._bucket.update(key_hash, _encode(changed), last=revision)
            except KeyWrongLastSequenceError:
                record, revision = await self._read(key_hash, key_or_id)
                continue
            await self._audit(actor, action, record, changed)
            return changed
        raise KeyConflictError(f"{record.key_id} kept changing while being written; try again")

    async def _audit(
        self, actor: str | None, action: str, before: KeyRecord | None, after: KeyRecord
    ) -> None:
        # After the change: a row never claims a change that did not happen. A row that cannot be
        # published fails the call, so the operator knows the trail lacks it.
        event = audit_event(actor or self.actor, action, after.key_id, before, after)
        await publish_audit(self._js, event)

    async def _all(self) -> list[tuple[str, KeyRecord]]:
        hashes = await self._hashes()
        entries = await asyncio.gather(*(self._get(key_hash) for key_hash in hashes))
        found = [(h, e[0]) for h, e in zip(hashes, entries, strict=True) if e is not None]
        return sorted(found, key=lambda item: item[1].created_at)

    async def _hashes(self) -> list[str]:
        # Not KeyValue.keys(): its watch reports an empty bucket now and then when the server's
        # count of pending entries overtakes the first deliveries (seen with a few hundred keys).
        # The stream's own list of subjects has no such race; deleted keys are still listed there.
        prefix = f"$KV.{KEYS_BUCKET}."
        info = await self._js.stream_info(f"KV_{KEYS_BUCKET}", subjects_filter=f"{prefix}>")
        return [subject[len(prefix) :] for subject in info.state.subjects or {}]

    async def _get(self, key_hash: str) -> tuple[KeyRecord, int] | None:
        """The record and its revision; None when there is none (never stored, deleted, purged)."""
        try:
            entry = await self._bucket.get(key_hash)
        except EntryNotFoundError:
            return None
        if not entry.value or entry.revision is None:
            return None
        return _decode_record(entry.value), entry.revision

    async def _find(self, key_or_id: str) -> tuple[str, KeyRecord, int]:
        if looks_like_key(key_or_id):
            candidates = [hash_key(key_or_id)]
        elif looks_like_key_id(key_or_id):
            candidates = [h for h, r in await self._all() if r.key_id == key_or_id]
        else:
            raise KeyNotFoundError(f"{quoted(key_or_id)} is neither an Ingate key nor a key id")
        for key_hash in candidates:
            with contextlib.suppress(KeyNotFoundError):
                record, revision = await self._read(key_hash, key_or_id)
                return key_hash, record, revision
        raise KeyNotFoundError(f"no key matches {_shown(key_or_id)}")

    async def _read(self, key_hash: str, key_or_id: str) -> tuple[KeyRecord, int]:
        found = await self._get(key_hash)
        if found is None:
            raise KeyNotFoundError(f"no key matches {_shown(key_or_id)}")
        return found


def _shown(key_or_id: str) -> str:
    # Only its hint: a real key in an error message would end up in terminals' scrollback and logs.
    return key_hint(key_or_id) if looks_like_key(key_or_id) else quoted(key_or_id)


class KeyCache(KvMirror[KeyRecord]):
    """In-memory view of the key bucket, kept current by a watch; lookups are a dict read."""

    def __init__(self, replicas: int = 1) -> None:
        super().__init__(functools.partial(key_bucket, replicas=replicas), _decode_record, "keys")

    def lookup(self, key: str) -> KeyRecord | None:
        return self.entries.get(hash_key(key))
