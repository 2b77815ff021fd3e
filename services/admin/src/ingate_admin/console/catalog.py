"""Providers and routes pages: the file's listed read-only, run-time ones added, changed and
deleted through catalog_api's own handlers, so a form is checked exactly as a PUT is.

catalog_api keeps each operation inside its route handler; the pages call that function
(`handler.fn`) with the signed-in admin as actor rather than repeat any of its checks.
"""

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from ingate_admin import catalog_api
from ingate_admin.console.pages import page
from ingate_admin.console.sessions import SignedIn
from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_nats.catalog import CatalogStore

FORMATS: Final = ("openai", "anthropic", "ollama", "gemini")
# What a route's form shows of its answer: everything the PUT body takes, nothing the API adds.
_ANSWER_ONLY: Final = ("name", "source", "read_only")


def provider_body(form: Mapping[str, Any], stored_api_key: str | None) -> bytes:
    """A provider form as the PUT body: empty boxes left out, so the file's defaults apply. The
    stored API key is never shown, so an empty key box keeps it unless "remove" is ticked."""
    body: dict[str, Any] = {"format": str(form.get("format", "")), "base_url": str(form.get("base_url", ""))}
    api_key = str(form.get("api_key", "")).strip() or stored_api_key
    if api_key and form.get("remove_api_key") != "on":
        body["api_key"] = api_key
    if models := str(form.get("models", "")).replace(",", " ").split():
        body["models"] = models
    for name in ("connect_timeout_s", "read_timeout_s"):
        if text := str(form.get(name, "")).strip():
            try:
                body[name] = float(text)
            except ValueError:
                body[name] = text  # refused by the API's own check, with its message
    return json.dumps(body).encode()


def _route_text(route: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in route.items() if k not in _ANSWER_ONLY}, indent=2)


@get("/catalog")
async def catalog_page(runtime: AdminRuntime, signed: SignedIn) -> Response[Any]:
    providers = await catalog_api.list_providers.fn(runtime=runtime, actor=signed.actor)
    routes = await catalog_api.list_routes.fn(runtime=runtime, actor=signed.actor)
    return page("catalog.html", signed, providers=providers, routes=routes, formats=FORMATS)


@get("/catalog/providers/new")
async def new_provider_page(signed: SignedIn) -> Response[Any]:
    return page(
        "provider.html", signed, provider=None, values={"format": "openai"}, formats=FORMATS, error=""
    )


@get("/catalog/providers/{name:str}")
async def provider_page(runtime: AdminRuntime, signed: SignedIn, name: str) -> Response[Any]:
    provider = await catalog_api.show_provider.fn(runtime=runtime, actor=signed.actor, name=name)
    return page("provider.html", signed, provider=provider, values=provider, formats=FORMATS, error="")


@post("/catalog/providers")
async def put_provider(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn
) -> Response[Any]:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    stored = await CatalogStore(runtime.js).provider(name) if name else None
    try:
        await catalog_api.put_provider.fn(
            runtime=runtime,
            actor=signed.actor,
            name=name,
            body=provider_body(form, stored.api_key if stored else None),
        )
    except AdminError as exc:
        if exc.status not in (400, 409):
            raise
        shown = (
            await catalog_api.show_provider.fn(runtime=runtime, actor=signed.actor, name=name)
            if stored
            else None
        )
        values = {**dict(form), "models": str(form.get("models", "")).replace(",", " ").split()}
        return page(
            "provider.html",
            signed,
            status=exc.status,
            provider=shown,
            values=values,
            formats=FORMATS,
            error=exc.message,
        )
    return Redirect(f"/catalog/providers/{quote(name, safe='')}", status_code=303)


@post("/catalog/providers/{name:str}/delete")
async def delete_provider(runtime: AdminRuntime, signed: SignedIn, name: str) -> Response[Any]:
    try:
        await catalog_api.delete_provider.fn(runtime=runtime, actor=signed.actor, name=name)
    except AdminError as exc:
        if exc.status != 409:
            raise
        provider = await catalog_api.show_provider.fn(runtime=runtime, actor=signed.actor, name=name)
        return page(
            "provider.html",
            signed,
            status=409,
            provider=provider,
            values=provider,
            formats=FORMATS,
            error=exc.message,
        )
    return Redirect("/catalog", status_code=303)


@get("/catalog/route")
async def route_page(runtime: AdminRuntime, signed: SignedIn, name: str = "") -> Response[Any]:
    # The name is a query parameter: route names may hold "/".
    route = await catalog_api.show_route.fn(runtime=runtime, actor=signed.actor, name=name) if name else None
    text = _route_text(route) if route else ""
    return page("route.html", signed, route=route, name=name, text=text, error="")


@post("/catalog/route")
async def put_route(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn
) -> Response[Any]:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    text = str(form.get("body", ""))
    try:
        await catalog_api.put_route.fn(runtime=runtime, actor=signed.actor, name=name, body=text.encode())
    except AdminError as exc:
        if exc.status not in (400, 409):
            raise
        return page(
            "route.html", signed, status=exc.status, route=None, name=name, text=text, error=exc.message
        )
    return Redirect(f"/catalog/route?name={quote(name, safe='')}", status_code=303)


@post("/catalog/route/delete")
async def delete_route(request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn) -> Redirect:
    name = str((await request.form()).get("name", ""))
    await catalog_api.delete_route.fn(runtime=runtime, actor=signed.actor, name=name)
    return Redirect("/catalog", status_code=303)


handlers: list[HTTPRouteHandler] = [
    catalog_page,
    new_provider_page,
    provider_page,
    put_provider,
    delete_provider,
    route_page,
    put_route,
    delete_route,
]
