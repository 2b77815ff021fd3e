"""The admin Litestar app: every module's `handlers`, with `runtime` and `actor` dependencies."""

from litestar import Litestar
from litestar.di import Provide

from ingate_admin import catalog_api, keys_api, reports_api
from ingate_admin.auth import caller_actor
from ingate_admin.errors import EXCEPTION_HANDLERS
from ingate_admin.openapi import openapi_config
from ingate_admin.runtime import AdminRuntime


def create_app(runtime: AdminRuntime) -> Litestar:
    async def provide_runtime() -> AdminRuntime:
        return runtime

    return Litestar(
        route_handlers=[*keys_api.handlers, *catalog_api.handlers, *reports_api.handlers],
        dependencies={"runtime": Provide(provide_runtime), "actor": Provide(caller_actor)},
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        request_max_body_size=runtime.config.admin.max_body_bytes,
    )
