"""Run-time providers and routes in two KV buckets; every change leaves an audit row.

Names are stored base64url-encoded because a provider or route name may hold characters
(`:`, spaces) that a KV key cannot. Audit rows carry the provider view, never its api_key.
"""

import base64
import logging
from typing import Any, TypeVar

import msgspec
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from ingate_contracts.audit import audit_event
from ingate_contracts.catalog import ProviderEntry, RouteEntry, provider_view
from ingate_contracts.subjects import PROVIDERS_BUCKET, ROUTES_BUCKET
from ingate_nats.audit import publish_audit

T = TypeVar("T")
log = logging.getLogger("ingate.nats.catalog")


def encode_name(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def decode_name(key: str) -> str:
    return base64.urlsafe_b64decode(key.encode()).decode()


async def catalog_bucket(js: JetStreamContext, name: str) -> KeyValue:
    """PROVIDERS_BUCKET or ROUTES_BUCKET, created by whoever needs it first (an edge watching it,
    or the first write)."""
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        return await js.create_key_value(bucket=name, history=5)


class CatalogStore:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def providers(self) -> dict[str, ProviderEntry]:
        return await self._all(PROVIDERS_BUCKET, ProviderEntry)

    async def provider(self, name: str) -> ProviderEntry | None:
        return await self._get(PROVIDERS_BUCKET, name, ProviderEntry)

    async def put_provider(self, name: str, entry: ProviderEntry, *, actor: str) -> None:
        before = await self.provider(name)
        await self._put(PROVIDERS_BUCKET, name, entry)
        shown_before = None if before is None else provider_view(before)
        action = "provider.create" if before is None else "provider.update"
        await publish_audit(self._js, audit_event(actor, action, name, shown_before, provider_view(entry)))

    async def delete_provider(self, name: str, *, actor: str) -> bool:
        """False when there was no such provider: nothing changed, so nothing is audited."""
        before = await self.provider(name)
        if before is None:
            return False
        await self._delete(PROVIDERS_BUCKET, name)
        await publish_audit(
            self._js, audit_event(actor, "provider.delete", name, provider_view(before), None)
        )
        return True

    async def routes(self) -> dict[str, RouteEntry]:
        return await self._all(ROUTES_BUCKET, RouteEntry)

    async def route(self, name: str) -> RouteEntry | None:
        return await self._get(ROUTES_BUCKET, name, RouteEntry)

    async def put_route(self, name: str, entry: RouteEntry, *, actor: str) -> None:
        before = await self.route(name)
        await self._put(ROUTES_BUCKET, name, entry)
        action = "route.create" if before is None else "route.update"
        await publish_audit(self._js, audit_event(actor, action, name, before, entry))

    async def delete_route(self, name: str, *, actor: str) -> bool:
        """False when there was no such route: nothing changed, so nothing is audited."""
        before = await self.route(name)
        if before is None:
            return False
        await self._delete(ROUTES_BUCKET, name)
        await publish_audit(self._js, audit_event(actor, "route.delete", name, before, None))
        return True

    async def _all(self, bucket: str, kind: type[T]) -> dict[str, T]:
        kv = await catalog_bucket(self._js, bucket)
        try:
            keys = await kv.keys()
        except NoKeysError:
            return {}
        found: dict[str, T] = {}
        for key in keys:
            entry = await self._get(bucket, decode_name(key), kind)
            if entry is not None:
                found[decode_name(key)] = entry
        return found

    async def _get(self, bucket: str, name: str, kind: type[T]) -> T | None:
        kv = await catalog_bucket(self._js, bucket)
        try:
            entry = await kv.get(encode_name(name))
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        try:
            return msgspec.json.decode(entry.value, type=kind)
        except msgspec.DecodeError as exc:  # ValidationError included
            # Written around the store (the edges skip it too); a write of a good entry replaces it.
            log.warning("ignoring undecodable %s entry %r: %s", bucket, name[:140], exc)
            return None

    async def _put(self, bucket: str, name: str, entry: Any) -> None:
        kv = await catalog_bucket(self._js, bucket)
        await kv.put(encode_name(name), msgspec.json.encode(entry))

    async def _delete(self, bucket: str, name: str) -> None:
        kv = await catalog_bucket(self._js, bucket)
        await kv.delete(encode_name(name))
