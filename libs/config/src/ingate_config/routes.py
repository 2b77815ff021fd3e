"""Routes from the config file's `routes:` list and from INGATE_ROUTES_FILE, checked against the
providers and models they name.

Both sources hold a list of routes. When both are set they merge by name and the file wins: a
route the file defines replaces the config file's route of that name, whole, in its place; the
file's other routes follow in the file's order. A bad route names where it was written:
`routes[0].targets[1].provider` in the config file, `INGATE_ROUTES_FILE[0].targets[1].provider`
in the routes file.
"""

import fnmatch
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from ingate_config.convert import convert_one, parse_yaml
from ingate_config.errors import ConfigError
from ingate_config.model import ProviderConfig, Settings
from ingate_config.route_model import RETRY_CLASSES, ROUTE_STRATEGIES, RouteConfig, RouteTarget
from ingate_pricing import PriceTable

ROUTES_FILE_ENV: Final = "INGATE_ROUTES_FILE"
# Route names are what callers send as `model`, so they allow what model names use in practice
# (`org/model`, `model:tag`, `model@version`) and nothing that needs quoting.
_ROUTE_NAME_RE: Final = re.compile(r"^[A-Za-z0-9._:/@-]{1,128}$")
_MAX_WEIGHT: Final = 1_000_000
_MAX_ATTEMPTS: Final = 10
_MAX_COOLDOWN_S: Final = 86_400.0


def load_routes(section: Any, routes_file: str | None, settings: Settings) -> dict[str, RouteConfig]:
    """`section` is the config file's `routes:` value, `routes_file` the INGATE_ROUTES_FILE path;
    `settings` must already hold every provider and price override."""
    if section is not None and not isinstance(section, list):
        raise ConfigError("routes", "must be a list of routes, each with a name")
    entries = _by_name("routes", section or [])
    if routes_file:
        entries = {**entries, **_by_name(ROUTES_FILE_ENV, _read_routes_file(routes_file))}
    routes: dict[str, RouteConfig] = {}
    for name, (where, entry) in entries.items():
        routes[name] = checked_route(where, entry, settings.providers)
    _check_names_are_not_models(routes, {name: where for name, (where, _) in entries.items()}, settings)
    return routes


def _read_routes_file(path: str) -> list[Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(ROUTES_FILE_ENV, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(ROUTES_FILE_ENV, f"{path} is not UTF-8 text") from None
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(ROUTES_FILE_ENV, f"{path} is not valid JSON at line {exc.lineno}") from None
    else:
        data = parse_yaml(text, ROUTES_FILE_ENV, path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(ROUTES_FILE_ENV, f"{path} must hold a list of routes, each with a name")
    return data


def _by_name(prefix: str, entries: list[Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each entry under its name, with the setting it was written at."""
    named: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, entry in enumerate(entries):
        where = f"{prefix}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}.name", "each route needs a name")
        name = entry["name"]
        check_route_name(f"{where}.name", name)
        if name in named:
            raise ConfigError(f"{where}.name", f"route {name!r} is defined twice")
        named[name] = (where, entry)
    return named


def check_route_name(setting: str, name: str) -> None:
    if not _ROUTE_NAME_RE.match(name):
        shown = repr(name[:140]) + ("…" if len(name) > 140 else "")
        raise ConfigError(setting, f"{shown} must be 1 to 128 letters, digits and any of - _ . : / @")


def checked_route(where: str, entry: dict[str, Any], providers: dict[str, ProviderConfig]) -> RouteConfig:
    """The route `entry` (written at setting `where`), held to every rule but the name's."""
    # Checked before conversion so the message lists the choices instead of msgspec's wording.
    if not entry.get("targets"):
        raise ConfigError(f"{where}.targets", "a route needs at least one target")
    strategy = entry.get("strategy", ROUTE_STRATEGIES[0])
    if strategy not in ROUTE_STRATEGIES:
        choices = ", ".join(ROUTE_STRATEGIES)
        raise ConfigError(f"{where}.strategy", f"must be one of {choices}, got {strategy!r}")
    retry_on = entry.get("retry_on")
    if isinstance(retry_on, list):
        # YAML reads a bare 429 as a number.
        retry_on = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in retry_on]
        for index, value in enumerate(retry_on):
            if value not in RETRY_CLASSES:
                choices = ", ".join(RETRY_CLASSES)
                raise ConfigError(f"{where}.retry_on[{index}]", f"must be one of {choices}, got {value!r}")
        entry = {**entry, "retry_on": retry_on}
    route = convert_one(entry, RouteConfig, where)
    for kind, targets in (("targets", route.targets), ("fallbacks", route.fallbacks)):
        for index, target in enumerate(targets):
            _check_target(f"{where}.{kind}[{index}]", target, providers)
    if route.max_attempts is not None and not 1 <= route.max_attempts <= _MAX_ATTEMPTS:
        raise ConfigError(
            f"{where}.max_attempts", f"must be between 1 and {_MAX_ATTEMPTS}, got {route.max_attempts}"
        )
    if not 0 <= route.cooldown_s <= _MAX_COOLDOWN_S:
        raise ConfigError(
            f"{where}.cooldown_s", f"must be between 0 and {_MAX_COOLDOWN_S:g}, got {route.cooldown_s:g}"
        )
    return route


def _check_target(where: str, target: RouteTarget, providers: dict[str, ProviderConfig]) -> None:
    provider = providers.get(target.provider)
    if provider is None:
        known = ", ".join(sorted(providers))
        raise ConfigError(f"{where}.provider", f"unknown provider {target.provider!r}; known: {known}")
    if not target.model.strip():
        raise ConfigError(f"{where}.model", "must not be empty")
    # The same test the edge applies to a request: an empty allow-list allows every model.
    if provider.models and not any(fnmatch.fnmatchcase(target.model, p) for p in provider.models):
        allowed = ", ".join(provider.models)
        raise ConfigError(
            f"{where}.model", f"provider {provider.name!r} allows only {allowed}, not {target.model!r}"
        )
    if not 1 <= target.weight <= _MAX_WEIGHT:
        raise ConfigError(f"{where}.weight", f"must be between 1 and {_MAX_WEIGHT}, got {target.weight}")


def _check_names_are_not_models(
    routes: dict[str, RouteConfig], wheres: dict[str, str], settings: Settings
) -> None:
    """A caller's `model` must mean one thing: a route or a real model, never both."""
    if not routes:
        return
    prices = PriceTable.shipped(settings.prices)
    for name in routes:
        check_not_a_model(f"{wheres[name]}.name", name, routes.values(), settings.providers.values(), prices)


def check_not_a_model(
    setting: str,
    name: str,
    routes: Iterable[RouteConfig],
    providers: Iterable[ProviderConfig],
    prices: PriceTable,
) -> None:
    """Route `name` must not be a real model: one a route sends to, one a provider's allow-list
    names, or one the price catalog (or a price override) knows, dated snapshots included."""
    found = None
    for route in routes:
        if any(target.model == name for target in (*route.targets, *route.fallbacks)):
            found = f"a target of route {route.name!r}"
            break
    # Route names cannot hold * ? [ so only an allow-list's exact entries, not its globs, can match.
    for provider in providers if found is None else ():
        if name in (provider.models or ()):
            found = f"in the models of provider {provider.name!r}"
            break
    if found is None and prices.lists(name):
        found = "in the price catalog"
    if found:
        raise ConfigError(setting, f"{name!r} is a real model ({found}); pick another name")
