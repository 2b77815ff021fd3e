"""The run-time providers and routes (the two catalog buckets), watched and merged with the file's.

Each bucket is mirrored by a watch; on every change the whole catalog is checked again with
the configuration file's rules and handed on, so what the edge routes is always one
consistent set. An entry that fails the rules (written around the admin API, or a route
whose provider was removed) is logged, naming it and its field, and left out; it never stops
the edge. A file entry wins over a stored one of the same name.
"""

import asyncio
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.js.kv import KeyValue

from ingate_config import ConfigError, ProviderConfig, RouteConfig, Settings
from ingate_config.catalog import runtime_provider, runtime_route
from ingate_contracts.subjects import PROVIDERS_BUCKET, ROUTES_BUCKET
from ingate_nats.catalog import catalog_bucket, decode_name
from ingate_nats.mirror import KvMirror
from ingate_pricing import PriceTable

log = logging.getLogger("ingate.edge.catalog")

Apply = Callable[[dict[str, ProviderConfig], dict[str, RouteConfig]], None]


@dataclass
class Catalog:
    """What the edge routes: the file's entries and the stored ones that passed the rules."""

    providers: dict[str, ProviderConfig]
    routes: dict[str, RouteConfig]
    problems: list[str] = field(default_factory=list)  # one line per entry left out


def merge_catalog(
    settings: Settings,
    prices: PriceTable,
    stored_providers: dict[str, bytes],
    stored_routes: dict[str, bytes],
) -> Catalog:
    """`stored_*`: the buckets' entries by key (the base64url name), as stored."""
    catalog = Catalog(dict(settings.providers), dict(settings.routes))
    for name, entry in _entries("provider", stored_providers, settings.providers, catalog.problems):
        try:
            catalog.providers[name] = runtime_provider(name, entry)
        except ConfigError as exc:
            catalog.problems.append(f"run-time provider {name[:80]!r} left out: {exc}")
    for name, entry in _entries("route", stored_routes, settings.routes, catalog.problems):
        try:
            catalog.routes[name] = runtime_route(
                name, entry, catalog.providers, prices, catalog.routes.values()
            )
        except ConfigError as exc:
            catalog.problems.append(f"run-time route {name[:140]!r} left out: {exc}")
    return catalog


def _entries(
    kind: str, stored: dict[str, bytes], file: dict[str, Any], problems: list[str]
) -> list[tuple[str, Any]]:
    """The stored entries that decode, by name, in name order; those the file has are skipped."""
    found = []
    for key, raw in stored.items():
        try:
            name = decode_name(key)
        except (binascii.Error, UnicodeDecodeError):
            problems.append(
                f"run-time {kind} under key {key[:80]!r} left out: the key is not a base64url name"
            )
            continue
        if name in file:
            problems.append(f"run-time {kind} {name!r} left out: the configuration file defines it")
            continue
        try:
            entry = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:  # msgspec's depth limit is Python's
            problems.append(f"run-time {kind} {name[:140]!r} left out: not JSON ({exc})")
            continue
        found.append((name, entry))
    return sorted(found, key=lambda pair: pair[0])


def _raw(data: bytes) -> bytes:
    return data  # checked when merged: a route's check needs every provider


def _opener(bucket: str) -> Callable[[Client], Any]:
    async def open_bucket(client: Client) -> KeyValue:
        return await catalog_bucket(client.jetstream(), bucket)

    return open_bucket


class CatalogWatch:
    def __init__(self, settings: Settings, prices: PriceTable, apply: Apply) -> None:
        """`apply` is called with each new catalog, on the event loop, once both buckets are loaded;
        `prices` tells real models, which a route may not be named after."""
        self._settings = settings
        self._prices = prices
        self._apply = apply
        self.providers: KvMirror[bytes] = KvMirror(
            _opener(PROVIDERS_BUCKET), _raw, "providers", self._changed
        )
        self.routes: KvMirror[bytes] = KvMirror(_opener(ROUTES_BUCKET), _raw, "routes", self._changed)
        self.loaded = asyncio.Event()
        self._reported: set[str] = set()

    def start(self, client: Client) -> None:
        self.providers.start(client)
        self.routes.start(client)

    def resync(self) -> None:
        """A fresh watch of both buckets, e.g. after a reconnect (see `KvMirror.resync`)."""
        self.providers.resync()
        self.routes.resync()

    async def stop(self) -> None:
        await self.providers.stop()
        await self.routes.stop()

    def _changed(self) -> None:
        if not (self.providers.loaded.is_set() and self.routes.loaded.is_set()):
            return  # a route may name a provider not loaded yet
        catalog = merge_catalog(self._settings, self._prices, self.providers.entries, self.routes.entries)
        # Each problem is logged when it appears, not again on every later change.
        for problem in catalog.problems:
            if problem not in self._reported:
                log.warning("%s", problem)
        self._reported = set(catalog.problems)
        self._apply(catalog.providers, catalog.routes)
        self.loaded.set()
