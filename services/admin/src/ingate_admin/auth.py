"""The `actor` dependency: the caller's admin token, checked against the store on every call."""

from typing import Any

from litestar import Request

from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime


async def caller_actor(request: Request[Any, Any, Any], runtime: AdminRuntime) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    record = await runtime.tokens.verify(token.strip()) if scheme.lower() == "bearer" else None
    if record is None:
        raise AdminError(
            401,
            "authentication_error",
            "a valid admin token is required (Authorization: Bearer sk-ingate-admin-...)",
        )
    return f"admin:{record.name}"
