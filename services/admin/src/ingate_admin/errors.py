"""The admin API's one error shape: {"error": {"type", "message"}}, Litestar's own errors included."""

import logging
from collections.abc import Callable
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

log = logging.getLogger("ingate.admin")

_TYPE_FOR_STATUS: Final = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "method_not_allowed",
    413: "request_too_large",
}


class AdminError(Exception):
    def __init__(self, status: int, type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message


def error_body(type_: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"type": type_, "message": message}}


def render_admin_error(_: Request[Any, Any, Any], exc: AdminError) -> Response[Any]:
    return Response(error_body(exc.type, exc.message), status_code=exc.status)


def render_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's errors (validation, routing, body size) in the admin API's shape, naming the field."""
    message = exc.detail
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        named = [
            f"{item.get('key', '')}: {item.get('message', '')}"
            for item in exc.extra
            if isinstance(item, dict)
        ]
        message = "; ".join(named) or message
    error_type = _TYPE_FOR_STATUS.get(exc.status_code, "api_error")
    return Response(error_body(error_type, message), status_code=exc.status_code, headers=exc.headers)


def render_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("admin request failed", exc_info=exc)
    return Response(error_body("api_error", "internal error"), status_code=500)


EXCEPTION_HANDLERS: Final[
    dict[int | type[Exception], Callable[[Request[Any, Any, Any], Any], Response[Any]]]
] = {
    AdminError: render_admin_error,
    HTTPException: render_http_error,
    Exception: render_unexpected,
}
