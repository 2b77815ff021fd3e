"""Providers and routes added at run time, stored as JSON in the catalog KV buckets.

These are the wire shapes only; the rules they must satisfy are the config file's
(ingate_config), so an entry is validated there before it is stored.
"""

import msgspec


class ProviderEntry(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One upstream provider alias, keyed by its name in PROVIDERS_BUCKET."""

    format: str
    base_url: str
    # Never answered or audited: answers carry has_api_key instead.
    api_key: str | None = None
    models: list[str] | None = None
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 600.0


class RouteTargetEntry(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A provider alias and the real model name it is sent under."""

    provider: str
    model: str
    weight: int = 1


class RouteEntry(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One route (a virtual model name), keyed by its name in ROUTES_BUCKET; fields as in "Routing"."""

    strategy: str = "weighted"
    targets: list[RouteTargetEntry]
    fallbacks: list[RouteTargetEntry] = msgspec.field(default_factory=list)
    retry_on: list[str] | None = None
    max_attempts: int | None = None
    cooldown_s: float = 30.0


def provider_view(entry: ProviderEntry) -> dict[str, object]:
    """The provider as answered to callers: the key replaced by whether one is set."""
    shown: dict[str, object] = msgspec.to_builtins(entry)
    del shown["api_key"]
    shown["has_api_key"] = entry.api_key is not None
    return shown
