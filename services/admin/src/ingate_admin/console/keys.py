"""Keys pages: the list, create (the new key shown once), edit, revoke; all through keys_api."""

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from ingate_admin.console.pages import page
from ingate_admin.console.reveal import forget_pad, show_next_once, take_shown
from ingate_admin.console.sessions import SignedIn
from ingate_admin.errors import AdminError
from ingate_admin.keys_api import (
    KeyFields,
    convert_key_fields,
    create_key_answer,
    list_key_answers,
    revoke_key_answer,
    show_key_answer,
    update_key_answer,
)
from ingate_admin.runtime import AdminRuntime

_TEXT_FIELDS: Final = ("name", "user")
_LIST_FIELDS: Final = ("providers", "models")
# An empty box means no limit: the same null the JSON API takes to remove one.
_OPTIONAL_FIELDS: Final = ("rpm", "tpm", "per_user_rpm", "per_user_tpm", "budget_usd", "expires", "cache_ttl")


def key_fields(form: Mapping[str, Any]) -> KeyFields:
    """A key form as the JSON API's `KeyFields`, checked by the same code."""
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        values[name] = str(form.get(name, "")).strip()
    for name in _LIST_FIELDS:
        values[name] = str(form.get(name, "")).replace(",", " ").split()
    for name in _OPTIONAL_FIELDS:
        text = str(form.get(name, "")).strip()
        values[name] = text or None
    values["log_payloads"] = form.get("log_payloads") == "on"
    return convert_key_fields(values)


def _form_values(key: Mapping[str, Any]) -> dict[str, str]:
    """A key's answer as the form shows it, so editing starts from what is stored."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "name": text(key.get("name")),
        "user": text(key.get("user_id")),
        "providers": ", ".join(key.get("providers") or ()),
        "models": ", ".join(key.get("models") or ()),
        **{
            f: text(key.get(f))
            for f in ("rpm", "tpm", "per_user_rpm", "per_user_tpm", "budget_usd", "cache_ttl")
        },
        "expires": text(key.get("expires_at")),
        "log_payloads": "on" if key.get("log_payloads") else "",
    }


@get("/keys")
async def keys_page(runtime: AdminRuntime, signed: SignedIn) -> Response[Any]:
    keys = await list_key_answers(runtime, signed.actor)
    # Active keys first, newest first within each status.
    keys.sort(key=lambda k: str(k.get("created_at", "")), reverse=True)
    keys.sort(key=lambda k: k.get("status") != "active")
    return page("keys.html", signed, keys=keys)


@get("/keys/new")
async def new_key_page(signed: SignedIn) -> Response[Any]:
    return page("key_form.html", signed, key=None, values={}, error="")


@post("/keys/new")
async def create_key(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn
) -> Response[Any]:
    form = await request.form()
    try:
        created = await create_key_answer(runtime, signed.actor, key_fields(form))
    except AdminError as exc:
        if exc.status != 400:
            raise
        return page("key_form.html", signed, status=400, key=None, values=dict(form), error=exc.message)
    # Shown by the next page once and then forgotten, so a reload cannot show it again.
    result = f"/keys/{quote(created['id'], safe='')}/created"
    return await show_next_once(request, signed, created["id"], created["key"], result)


@get("/keys/{key_id:str}/created")
async def created_key_page(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn, key_id: str
) -> Response[Any]:
    secret = await take_shown(request, signed, key_id)
    key = await show_key_answer(runtime, signed.actor, key_id)
    return forget_pad(request, page("key_created.html", signed, key=key, secret=secret))


@get("/keys/{key_id:str}")
async def key_page(runtime: AdminRuntime, signed: SignedIn, key_id: str) -> Response[Any]:
    key = await show_key_answer(runtime, signed.actor, key_id)
    return page("key_form.html", signed, key=key, values=_form_values(key), error="")


@post("/keys/{key_id:str}")
async def update_key(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn, key_id: str
) -> Response[Any]:
    form = await request.form()
    try:
        await update_key_answer(runtime, signed.actor, key_id, key_fields(form))
    except AdminError as exc:
        if exc.status not in (400, 409):
            raise
        key = await show_key_answer(runtime, signed.actor, key_id)
        return page("key_form.html", signed, status=exc.status, key=key, values=dict(form), error=exc.message)
    return Redirect(f"/keys/{key_id}", status_code=303)


@post("/keys/{key_id:str}/revoke")
async def revoke_key(runtime: AdminRuntime, signed: SignedIn, key_id: str) -> Redirect:
    await revoke_key_answer(runtime, signed.actor, key_id)
    return Redirect(f"/keys/{key_id}", status_code=303)


handlers: list[HTTPRouteHandler] = [
    keys_page,
    new_key_page,
    create_key,
    created_key_page,
    key_page,
    update_key,
    revoke_key,
]
