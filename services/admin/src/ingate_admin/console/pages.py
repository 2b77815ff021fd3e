"""Rendering a console page, and the console's answers to errors: HTML, never the API's JSON."""

import logging
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from ingate_admin.console.sessions import CsrfRefused, SignedIn, SignInRequired
from ingate_admin.errors import AdminError

log = logging.getLogger("ingate.admin")

SIGN_IN_PATH: Final = "/sign-in"
# What every console page answers with: nothing cached (a new key is on one of them), no framing,
# no script of any kind (the console has none), forms posting only back here.
SECURITY_HEADERS: Final = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def page(template: str, signed: SignedIn | None, *, status: int = 200, **context: Any) -> Template:
    """`template` with what the layout needs: who is signed in and the CSRF token for its forms."""
    return Template(
        template_name=template,
        context={
            "me": signed.session.name if signed else None,
            "csrf": signed.session.csrf if signed else "",
            **context,
        },
        status_code=status,
    )


def analytics_notice(exc: AdminError) -> str:
    """What a report page says instead of its rows when the analytics service cannot answer."""
    if exc.type == "analytics_unavailable":
        return f"Analytics unavailable: {exc.message}. Keys can still be managed; reports need it running."
    return exc.message


def _error_page(status: int, title: str, message: str) -> Template:
    return Template(
        template_name="error.html",
        context={"me": None, "csrf": "", "title": title, "message": message},
        status_code=status,
    )


def _sign_in(_: Request[Any, Any, Any], __: SignInRequired) -> Response[Any]:
    return Redirect(SIGN_IN_PATH, status_code=303)


def _csrf(_: Request[Any, Any, Any], __: CsrfRefused) -> Response[Any]:
    return _error_page(403, "Refused", "This form was not sent from the console (its CSRF token is missing).")


def _admin_error(_: Request[Any, Any, Any], exc: AdminError) -> Response[Any]:
    return _error_page(exc.status, "Not possible", exc.message)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _error_page(exc.status_code, "Not possible", exc.detail)


def _unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("console request failed", exc_info=exc)
    return _error_page(500, "Internal error", "Something went wrong; the admin service's log says what.")


EXCEPTION_HANDLERS: Final[dict[int | type[Exception], Any]] = {
    SignInRequired: _sign_in,
    CsrfRefused: _csrf,
    AdminError: _admin_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
