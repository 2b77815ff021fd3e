"""Admin tokens in a NATS KV bucket, keyed by SHA-256 hash; read from KV on every check so a
revoke takes effect at once."""

import builtins
import datetime as dt

import msgspec
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NoKeysError
from nats.js.errors import KeyNotFoundError as EntryNotFoundError
from nats.js.kv import KeyValue

from ingate_contracts.admin_tokens import (
    ADMIN_TOKEN_PREFIX,
    AdminTokenRecord,
    admin_token_hint,
    admin_token_id,
    generate_admin_token,
    hash_admin_token,
)
from ingate_contracts.audit import audit_event
from ingate_contracts.subjects import ADMIN_TOKENS_BUCKET
from ingate_nats.audit import publish_audit

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(AdminTokenRecord).decode


class AdminTokenNotFoundError(LookupError):
    pass


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class AdminTokenStore:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self._kv: KeyValue | None = None

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self._js.key_value(ADMIN_TOKENS_BUCKET)
            except BucketNotFoundError:
                self._kv = await self._js.create_key_value(
                    KeyValueConfig(bucket=ADMIN_TOKENS_BUCKET, description="Ingate admin tokens", history=1)
                )
        return self._kv

    async def create(self, name: str, *, actor: str) -> tuple[str, AdminTokenRecord]:
        """The token is returned once; only its hash is stored."""
        if not name or any(record.name == name and record.status == "active" for record in await self.list()):
            raise ValueError(f"admin token name {name!r} is empty or already in use")
        token = generate_admin_token()
        token_hash = hash_admin_token(token)
        record = AdminTokenRecord(
            token_id=admin_token_id(token_hash),
            name=name,
            created_at=_now_iso(),
            hint=admin_token_hint(token),
        )
        await (await self._bucket()).create(token_hash, _encode(record))
        await publish_audit(self._js, audit_event(actor, "admin_token.create", record.token_id, None, record))
        return token, record

    async def verify(self, token: str) -> AdminTokenRecord | None:
        if not token.startswith(ADMIN_TOKEN_PREFIX):
            return None
        try:
            entry = await (await self._bucket()).get(hash_admin_token(token))
        except EntryNotFoundError:
            return None
        if entry.value is None:
            return None
        record = _decode(entry.value)
        return record if record.status == "active" else None

    async def _entries(self) -> builtins.list[tuple[str, AdminTokenRecord]]:
        bucket = await self._bucket()
        try:
            keys = await bucket.keys()
        except NoKeysError:  # nats-py's answer for an empty bucket
            return []
        # Anything else (NATS away, a timeout) is raised: taken for "no tokens", it would make
        # `revoke` say a token does not exist while it stays valid.
        found = []
        for key in keys:
            try:
                entry = await bucket.get(key)
            except EntryNotFoundError:
                continue
            if entry.value:
                found.append((key, _decode(entry.value)))
        return found

    async def list(self) -> builtins.list[AdminTokenRecord]:
        return sorted((record for _, record in await self._entries()), key=lambda r: r.created_at)

    async def revoke(self, name_or_id: str, *, actor: str) -> AdminTokenRecord:
        for key, record in await self._entries():
            if record.status == "active" and name_or_id in (record.name, record.token_id):
                revoked = msgspec.structs.replace(record, status="revoked", revoked_at=_now_iso())
                await (await self._bucket()).put(key, _encode(revoked))
                await publish_audit(
                    self._js, audit_event(actor, "admin_token.revoke", record.token_id, record, revoked)
                )
                return revoked
        raise AdminTokenNotFoundError(f"no active admin token {name_or_id!r}")
