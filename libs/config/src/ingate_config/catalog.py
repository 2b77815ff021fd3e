"""Run-time providers and routes checked by the configuration file's own types.

A bad entry raises ConfigError naming the field, like a bad file does.
"""

from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec

from ingate_config.errors import ConfigError
from ingate_config.model import ProviderConfig
from ingate_config.route_model import RouteConfig

T = TypeVar("T")


def runtime_provider(name: str, entry: dict[str, Any]) -> ProviderConfig:
    provider = _convert(
        f"providers.{name}", {**entry, "name": name, "base_url_configured": True}, ProviderConfig
    )
    url = urlsplit(provider.base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"providers.{name}.base_url", "must be an http or https URL with a host")
    return provider


def runtime_route(name: str, entry: dict[str, Any]) -> RouteConfig:
    return _convert(f"routes.{name}", {**entry, "name": name}, RouteConfig)


def _convert(where: str, raw: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(raw, type=kind)
    except msgspec.ValidationError as exc:
        # msgspec names the field as "at `$.field`"; keep that, prefixed by the entry.
        message = str(exc)
        field = message.rsplit("at `$.", 1)[-1].rstrip("`") if "at `$." in message else "entry"
        raise ConfigError(f"{where}.{field}", message.split(" - at ")[0]) from exc


def merged_providers(
    file: dict[str, ProviderConfig], runtime: dict[str, dict[str, Any]]
) -> dict[str, ProviderConfig]:
    """File providers plus run-time ones; a file entry wins over a run-time one of the same name."""
    return {**{name: runtime_provider(name, entry) for name, entry in runtime.items()}, **file}


def merged_routes(file: dict[str, RouteConfig], runtime: dict[str, dict[str, Any]]) -> dict[str, RouteConfig]:
    """File routes plus run-time ones; a file entry wins over a run-time one of the same name."""
    return {**{name: runtime_route(name, entry) for name, entry in runtime.items()}, **file}
