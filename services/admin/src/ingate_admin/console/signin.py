"""Signing in with an admin token, and out again; `/` sends a browser to the right one."""

from typing import Any, Final

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from ingate_admin.console.pages import SIGN_IN_PATH, page
from ingate_admin.console.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_TTL_S,
    CsrfRefused,
    SignedIn,
    console_cookie,
    csrf_matches,
    end_session,
    new_secret,
    start_session,
)
from ingate_admin.runtime import AdminRuntime
from ingate_contracts.admin_tokens import hash_admin_token

# Before there is a session, the sign-in form's CSRF token is checked against this cookie
# (double submit): a page elsewhere can post the form but can neither read nor set the cookie.
SIGN_IN_COOKIE: Final = "ingate_console_signin"
HOME_PATH: Final = "/keys"


def _sign_in_form(request: Request[Any, Any, Any], *, status: int = 200, error: str = "") -> Response[Any]:
    token = request.cookies.get(SIGN_IN_COOKIE) or new_secret()
    answer = page("sign_in.html", None, status=status, sign_in_csrf=token, error=error)
    answer.set_cookie(console_cookie(request, SIGN_IN_COOKIE, token, SESSION_TTL_S))
    return answer


@get("/")
async def home(signed: SignedIn) -> Redirect:  # noqa: ARG001 - signed in, or sent to sign in
    return Redirect(HOME_PATH, status_code=303)


@get(SIGN_IN_PATH)
async def sign_in_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return _sign_in_form(request)


@post(SIGN_IN_PATH)
async def sign_in(request: Request[Any, Any, Any], runtime: AdminRuntime) -> Response[Any]:
    form = await request.form()
    if not csrf_matches(request.cookies.get(SIGN_IN_COOKIE, ""), form.get(CSRF_FIELD)):
        raise CsrfRefused
    given = form.get("token")
    token = given.strip() if isinstance(given, str) else ""
    record = await runtime.tokens.verify(token)
    if record is None:
        return _sign_in_form(
            request, status=401, error="That is not an active admin token (sk-ingate-admin-…)."
        )
    session_id = await start_session(runtime, hash_admin_token(token), record.name)
    answer = Redirect(HOME_PATH, status_code=303)
    answer.set_cookie(console_cookie(request, SESSION_COOKIE, session_id, SESSION_TTL_S))
    answer.set_cookie(console_cookie(request, SIGN_IN_COOKIE, "", 0))
    return answer


@post("/sign-out")
async def sign_out(request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn) -> Redirect:
    await end_session(runtime, signed.session_id)
    answer = Redirect(SIGN_IN_PATH, status_code=303)
    answer.set_cookie(console_cookie(request, SESSION_COOKIE, "", 0))
    return answer


handlers: list[HTTPRouteHandler] = [home, sign_in_page, sign_in, sign_out]
