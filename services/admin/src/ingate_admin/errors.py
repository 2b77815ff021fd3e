"""The admin API's one error shape: {"error": {"type", "message"}}."""

from typing import Any

from litestar import Request, Response


class AdminError(Exception):
    def __init__(self, status: int, type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message


def error_body(type_: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"type": type_, "message": message}}


def render_admin_error(_: Request[Any, Any, Any], exc: AdminError) -> Response[object]:
    return Response(error_body(exc.type, exc.message), status_code=exc.status)
