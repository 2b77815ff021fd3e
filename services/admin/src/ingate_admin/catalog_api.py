"""Providers and routes under /admin/v1/providers and /admin/v1/routes.

Those of the configuration file are listed read-only; run-time ones are stored through
CatalogStore, with the caller as actor, so each change leaves an audit row and reaches the
edges through the buckets they watch. An entry is checked with the file's rules before it is
stored, against the providers in force (the file's and the stored ones that pass), so the
edges never have to leave out what the API accepted; a change that would break a stored
route (a provider deleted or changed under it) is refused naming the route.
"""

import contextlib
from typing import Any, Final

import msgspec
from litestar import Response, delete, get, put
from litestar.handlers import HTTPRouteHandler

from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_config import ConfigError, ProviderConfig, RouteConfig
from ingate_config.catalog import runtime_provider, runtime_route
from ingate_contracts.catalog import ProviderEntry, RouteEntry, provider_view
from ingate_nats.catalog import CatalogStore

_INVALID: Final = "invalid_request_error"
_CONFLICT: Final = "conflict_error"
_NOT_FOUND: Final = "not_found_error"


def _body(body: bytes) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:  # msgspec's depth limit is Python's
        raise AdminError(400, _INVALID, f"malformed JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise AdminError(400, _INVALID, "the body must be a JSON object")
    return value


def _invalid(exc: ConfigError) -> AdminError:
    return AdminError(400, _INVALID, str(exc))


def _read_only(kind: str, name: str) -> AdminError:
    return AdminError(409, _CONFLICT, f"{kind} {name!r} is from the configuration file and read-only")


def _config_provider(provider: ProviderConfig) -> dict[str, Any]:
    fields = {"format", "base_url", "models", "connect_timeout_s", "read_timeout_s"}
    shown = {f: v for f, v in msgspec.structs.asdict(provider).items() if f in fields}
    return {"name": provider.name, "source": "config", "read_only": True, **shown} | {
        "has_api_key": provider.api_key is not None
    }


def _runtime_provider(name: str, entry: ProviderEntry) -> dict[str, Any]:
    return {"name": name, "source": "runtime", "read_only": False, **provider_view(entry)}


def _config_route(route: RouteConfig) -> dict[str, Any]:
    shown: dict[str, Any] = msgspec.to_builtins(route)
    return {"name": route.name, "source": "config", "read_only": True, **shown}


def _runtime_route(name: str, entry: RouteEntry) -> dict[str, Any]:
    shown: dict[str, Any] = msgspec.to_builtins(entry)
    return {"name": name, "source": "runtime", "read_only": False, **shown}


def _route_name(path: str) -> str:
    # Route names may hold "/" (`org/model`), so the route takes the rest of the path.
    return path.removeprefix("/")


async def _providers_in_force(
    runtime: AdminRuntime, stored: dict[str, ProviderEntry]
) -> dict[str, ProviderConfig]:
    """The providers an edge routes to: the file's, and the stored ones that pass its rules."""
    providers = dict(runtime.config.providers)
    for name, entry in stored.items():
        if name not in providers:
            with contextlib.suppress(ConfigError):  # the edges leave it out too
                providers[name] = runtime_provider(name, msgspec.to_builtins(entry))
    return providers


def _routes_in_force(runtime: AdminRuntime, stored: dict[str, RouteEntry]) -> list[RouteConfig]:
    """The file's routes and the stored ones (their targets are real models a route is not named after)."""
    routes = list(runtime.config.routes.values())
    for name, entry in stored.items():
        if name not in runtime.config.routes:
            with contextlib.suppress(msgspec.ValidationError):  # the edges leave it out too
                routes.append(msgspec.convert({**msgspec.to_builtins(entry), "name": name}, RouteConfig))
    return routes


def _check_routes_still_hold(
    runtime: AdminRuntime,
    routes: dict[str, RouteEntry],
    provider: str,
    before: dict[str, ProviderConfig],
    after: dict[str, ProviderConfig],
) -> None:
    """409 naming the first stored route sending to `provider` that the change would break. One
    broken already (written around the API) is the edges' to leave out, and blocks nothing."""
    for name, entry in sorted(routes.items()):
        if all(t.provider != provider for t in (*entry.targets, *entry.fallbacks)):
            continue
        fields = msgspec.to_builtins(entry)
        if _route_problem(runtime, name, fields, before) is None:
            problem = _route_problem(runtime, name, fields, after)
            if problem is not None:
                raise AdminError(409, _CONFLICT, f"route {name!r} would no longer be valid: {problem}")


def _route_problem(
    runtime: AdminRuntime, name: str, fields: dict[str, Any], providers: dict[str, ProviderConfig]
) -> ConfigError | None:
    try:
        runtime_route(name, fields, providers, runtime.prices)
    except ConfigError as exc:
        return exc
    return None


def _check_targets_are_not_routes(config: RouteConfig, routes: list[RouteConfig]) -> None:
    """A target's model must be a real model, not the name of another route."""
    names = {route.name for route in routes}
    for kind, targets in (("targets", config.targets), ("fallbacks", config.fallbacks)):
        for index, target in enumerate(targets):
            if target.model in names and target.model != config.name:
                setting = f"routes.{config.name}.{kind}[{index}].model"
                raise AdminError(
                    400, _INVALID, f"invalid setting {setting}: {target.model!r} is a route, not a model"
                )


@get("/admin/v1/providers")
async def list_providers(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
) -> list[dict[str, Any]]:
    file = runtime.config.providers
    stored = await CatalogStore(runtime.js).providers()
    shown = [_config_provider(p) for _, p in sorted(file.items())]
    return shown + [_runtime_provider(n, e) for n, e in sorted(stored.items()) if n not in file]


@get("/admin/v1/providers/{name:str}")
async def show_provider(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    name: str,
) -> dict[str, Any]:
    if name in runtime.config.providers:
        return _config_provider(runtime.config.providers[name])
    entry = await CatalogStore(runtime.js).provider(name)
    if entry is None:
        raise AdminError(404, _NOT_FOUND, f"no provider {name[:140]!r}")
    return _runtime_provider(name, entry)


@put("/admin/v1/providers/{name:str}")
async def put_provider(runtime: AdminRuntime, actor: str, name: str, body: bytes) -> Response[dict[str, Any]]:
    if name in runtime.config.providers:
        raise _read_only("provider", name)
    fields = _body(body)
    try:
        config = runtime_provider(name, fields)
    except ConfigError as exc:
        raise _invalid(exc) from exc
    entry = msgspec.convert(fields, ProviderEntry)  # the same fields, checked just now
    store = CatalogStore(runtime.js)
    stored = await store.providers()
    providers = await _providers_in_force(runtime, stored)
    _check_routes_still_hold(runtime, await store.routes(), name, providers, {**providers, name: config})
    await store.put_provider(name, entry, actor=actor)
    return Response(_runtime_provider(name, entry), status_code=200 if name in stored else 201)


@delete("/admin/v1/providers/{name:str}", status_code=200)
async def delete_provider(runtime: AdminRuntime, actor: str, name: str) -> dict[str, Any]:
    if name in runtime.config.providers:
        raise _read_only("provider", name)
    store = CatalogStore(runtime.js)
    entry = await store.provider(name)
    if entry is None:
        raise AdminError(404, _NOT_FOUND, f"no provider {name[:140]!r}")
    for route_name, route in sorted((await store.routes()).items()):
        if any(t.provider == name for t in (*route.targets, *route.fallbacks)):
            message = f"provider {name!r} is used by route {route_name!r}; change or delete the route first"
            raise AdminError(409, _CONFLICT, message)
    await store.delete_provider(name, actor=actor)
    return _runtime_provider(name, entry)


@get("/admin/v1/routes")
async def list_routes(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
) -> list[dict[str, Any]]:
    file = runtime.config.routes
    stored = await CatalogStore(runtime.js).routes()
    shown = [_config_route(r) for r in file.values()]  # in the file's order, as the edge lists them
    return shown + [_runtime_route(n, e) for n, e in sorted(stored.items()) if n not in file]


@get("/admin/v1/routes/{name:path}")
async def show_route(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    name: str,
) -> dict[str, Any]:
    name = _route_name(name)
    if name in runtime.config.routes:
        return _config_route(runtime.config.routes[name])
    entry = await CatalogStore(runtime.js).route(name)
    if entry is None:
        raise AdminError(404, _NOT_FOUND, f"no route {name[:140]!r}")
    return _runtime_route(name, entry)


@put("/admin/v1/routes/{name:path}")
async def put_route(runtime: AdminRuntime, actor: str, name: str, body: bytes) -> Response[dict[str, Any]]:
    name = _route_name(name)
    if name in runtime.config.routes:
        raise _read_only("route", name)
    fields = _body(body)
    store = CatalogStore(runtime.js)
    providers = await _providers_in_force(runtime, await store.providers())
    others = [r for r in _routes_in_force(runtime, await store.routes()) if r.name != name]
    try:
        config = runtime_route(name, fields, providers, runtime.prices, others)
    except ConfigError as exc:
        raise _invalid(exc) from exc
    _check_targets_are_not_routes(config, others)
    # Stored as checked: defaults filled in and retry_on spelled as strings.
    entry = msgspec.convert({k: v for k, v in msgspec.to_builtins(config).items() if k != "name"}, RouteEntry)
    created = await store.route(name) is None
    await store.put_route(name, entry, actor=actor)
    return Response(_runtime_route(name, entry), status_code=201 if created else 200)


@delete("/admin/v1/routes/{name:path}", status_code=200)
async def delete_route(runtime: AdminRuntime, actor: str, name: str) -> dict[str, Any]:
    name = _route_name(name)
    if name in runtime.config.routes:
        raise _read_only("route", name)
    store = CatalogStore(runtime.js)
    entry = await store.route(name)
    if entry is None:
        raise AdminError(404, _NOT_FOUND, f"no route {name[:140]!r}")
    await store.delete_route(name, actor=actor)
    return _runtime_route(name, entry)


handlers: list[HTTPRouteHandler] = [
    list_providers,
    show_provider,
    put_provider,
    delete_provider,
    list_routes,
    show_route,
    put_route,
    delete_route,
]
