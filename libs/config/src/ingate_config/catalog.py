"""Run-time providers and routes checked by the configuration file's own rules.

A bad entry raises ConfigError naming the field, like a bad file does: the admin API answers
it to the caller, and an edge that finds such an entry in its bucket logs it and skips it.
"""

from collections.abc import Iterable
from typing import Any, Final, TypeVar

import msgspec

from ingate_config.errors import ConfigError
from ingate_config.loader import check_provider, check_provider_name
from ingate_config.model import ProviderConfig
from ingate_config.route_model import RouteConfig
from ingate_config.routes import check_not_a_model, check_route_name, checked_route
from ingate_pricing import PriceTable

T = TypeVar("T")

# What a stored provider may set (ingate_contracts' ProviderEntry): not `api_key_env`, which
# would make an edge read its own environment, nor the loader's bookkeeping fields.
PROVIDER_FIELDS: Final = ("format", "base_url", "api_key", "models", "connect_timeout_s", "read_timeout_s")
# A route's fields but its name, which is the key it is stored under.
ROUTE_FIELDS: Final = tuple(f for f in RouteConfig.__struct_fields__ if f != "name")


def runtime_provider(name: str, entry: dict[str, Any]) -> ProviderConfig:
    check_provider_name("name", name)
    _check_fields(f"providers.{name}", entry, PROVIDER_FIELDS)
    provider = _convert(
        f"providers.{name}", {**entry, "name": name, "base_url_configured": True}, ProviderConfig
    )
    check_provider(name, provider)
    return provider


def runtime_route(
    name: str,
    entry: dict[str, Any],
    providers: dict[str, ProviderConfig],
    prices: PriceTable,
    routes: Iterable[RouteConfig] = (),
) -> RouteConfig:
    """`providers`: every provider the route's targets may name (the file's and the run-time ones);
    `routes`: the other routes in force, whose targets are real models the name must not be."""
    check_route_name("name", name)
    _check_fields(f"routes.{name}", entry, ROUTE_FIELDS)
    if "retry_on" in entry and entry["retry_on"] is None:  # a stored null: the default
        entry = {field: value for field, value in entry.items() if field != "retry_on"}
    route = checked_route(f"routes.{name}", {**entry, "name": name}, providers)
    check_not_a_model(f"routes.{name}.name", name, [route, *routes], providers.values(), prices)
    return route


def _check_fields(where: str, entry: Any, known: tuple[str, ...]) -> None:
    if not isinstance(entry, dict):
        raise ConfigError(where, "must be a JSON object")
    for field in entry:
        if field not in known:
            shown = repr(field[:64]) if isinstance(field, str) else repr(field)
            raise ConfigError(
                f"{where}.{str(field)[:64]}", f"unknown field {shown}; known: {', '.join(known)}"
            )


def _convert(where: str, raw: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(raw, type=kind)
    except msgspec.ValidationError as exc:
        # msgspec names the field as "at `$.field`"; keep that, prefixed by the entry.
        message = str(exc)
        field = message.rsplit("at `$.", 1)[-1].rstrip("`") if "at `$." in message else "entry"
        raise ConfigError(f"{where}.{field}", message.split(" - at ")[0]) from exc
