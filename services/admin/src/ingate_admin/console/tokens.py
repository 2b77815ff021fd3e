"""Admin tokens page: the list, create (the token shown once), revoke; what `ingate admin-tokens` does.

Each change goes through the same store, and so into the audit trail, as the command line's.
Revoking the token this session signed in with ends the session at its next page.
"""

from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from ingate_admin.console.pages import page
from ingate_admin.console.reveal import forget_pad, show_next_once, take_shown
from ingate_admin.console.sessions import SignedIn
from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_nats.admin_tokens import AdminTokenNotFoundError

# Longer than any name a person gives a token; the audit trail and the list show it whole.
_MAX_NAME_CHARS: Final = 100


async def _listing(
    runtime: AdminRuntime, signed: SignedIn, *, status: int = 200, **context: Any
) -> Response[Any]:
    tokens = await runtime.tokens.list()
    # Active tokens first, newest first within each status.
    ordered = sorted(tokens, key=lambda t: t.created_at, reverse=True)
    ordered.sort(key=lambda t: t.status != "active")
    values = {"name": "", "error": "", **context}
    return page("admin_tokens.html", signed, status=status, tokens=ordered, **values)


@get("/admin-tokens")
async def admin_tokens_page(runtime: AdminRuntime, signed: SignedIn) -> Response[Any]:
    return await _listing(runtime, signed)


@post("/admin-tokens/new")
async def create_admin_token(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn
) -> Response[Any]:
    name = str((await request.form()).get("name", "")).strip()
    if len(name) > _MAX_NAME_CHARS:
        error = f"name: at most {_MAX_NAME_CHARS} characters"
        return await _listing(runtime, signed, status=400, name=name, error=error)
    try:
        token, record = await runtime.tokens.create(name, actor=signed.actor)
    except ValueError as exc:
        return await _listing(runtime, signed, status=400, name=name, error=f"name: {exc}")
    result = f"/admin-tokens/{quote(record.token_id, safe='')}/created"
    return await show_next_once(request, signed, record.token_id, token, result)


@get("/admin-tokens/{token_id:str}/created")
async def created_admin_token_page(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn, token_id: str
) -> Response[Any]:
    secret = await take_shown(request, signed, token_id)
    record = next((t for t in await runtime.tokens.list() if t.token_id == token_id), None)
    if record is None:
        raise AdminError(404, "not_found_error", f"no admin token {token_id!r}")
    return forget_pad(request, page("admin_token_created.html", signed, token=record, secret=secret))


@post("/admin-tokens/{token_id:str}/revoke")
async def revoke_admin_token(runtime: AdminRuntime, signed: SignedIn, token_id: str) -> Redirect:
    try:
        await runtime.tokens.revoke(token_id, actor=signed.actor)
    except AdminTokenNotFoundError as exc:
        raise AdminError(404, "not_found_error", str(exc).strip('"')) from exc
    return Redirect("/admin-tokens", status_code=303)


handlers: list[HTTPRouteHandler] = [
    admin_tokens_page,
    create_admin_token,
    created_admin_token_page,
    revoke_admin_token,
]
