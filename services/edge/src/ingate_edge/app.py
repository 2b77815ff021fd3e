"""The edge application: Litestar for operations and lifecycle, the proxy for provider paths.

Provider paths go straight to the raw ASGI proxy, Responses WebSockets to their own handler
(which serves each response through the proxy); everything else (health,
readiness, Prometheus metrics, start-up and shutdown) is an ordinary Litestar app.
"""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from litestar import Litestar, Response, get
from litestar.events import BaseEventEmitterBackend
from litestar.plugins import PluginProtocol
from litestar.plugins.core import MsgspecDIPlugin

from ingate_config import Settings
from ingate_edge.front_door import raise_open_files_limit
from ingate_edge.operations import readiness, start_operations_listener
from ingate_edge.proxy import Proxy
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.websocket_responses import ResponsesSockets
from ingate_telemetry import exposition

_OPERATIONS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# With `edge.metrics_port` set, /metrics is served there alone; the public port answers it as
# any path it does not know.
_OPERATIONS_PATHS_WITHOUT_METRICS = _OPERATIONS_PATHS - {"/metrics"}


class _OperationsLitestar(Litestar):
    """Litestar with msgspec's plugin only.

    Litestar adds its pydantic plugins whenever pydantic can be imported (a development
    environment has it, for the provider SDKs the tests drive), and importing them imports
    pydantic and pydantic.v1: a quarter of a second or more of start-up for three handlers
    that return dicts and bytes. `tests/unit/test_startup_imports.py` notices if a Litestar
    release stops calling this hook.
    """

    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        return [*plugins, MsgspecDIPlugin()]


class _NoEvents(BaseEventEmitterBackend):
    """No event listeners: nothing to start. Litestar's default emitter starts an anyio task
    group at start-up (and imports anyio's streams and socket layer for it)."""

    def emit(self, event_id: str, *_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(f"the edge's operations app has no event listeners ({event_id!r})")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def _operations_app(runtime: EdgeRuntime, wait_ready_s: float) -> Litestar:
    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", sync_to_thread=False)
    def readyz() -> Response[dict[str, Any]]:
        body = {"status": "ready" if runtime.ready else "not ready", **readiness(runtime)}
        return Response(body, status_code=200 if runtime.ready else 503)

    @get("/metrics", sync_to_thread=False)
    def metrics() -> Response[bytes]:
        body, content_type = exposition(runtime.metrics.registry)
        return Response(body, media_type=content_type)

    metrics_port = runtime.settings.edge.metrics_port

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        raise_open_files_limit(runtime.settings.edge.max_connections)
        await runtime.start()
        if wait_ready_s > 0:
            await runtime.wait_ready(wait_ready_s)
        operations = await start_operations_listener(runtime) if metrics_port else None
        try:
            yield
        finally:
            if operations is not None:
                await operations.stop()
            await runtime.stop()

    # logging_config=None: Litestar would otherwise replace the process's log handler with its own.
    return _OperationsLitestar(
        route_handlers=[healthz, readyz] if metrics_port else [healthz, readyz, metrics],
        lifespan=[lifespan],
        event_emitter_backend=_NoEvents,
        openapi_config=None,
        logging_config=None,
    )


class EdgeApp:
    """ASGI entry point: dispatches provider traffic to the proxy, the rest to Litestar."""

    def __init__(self, settings: Settings, worker: int = 0, wait_ready_s: float = 0.0) -> None:
        self.runtime = EdgeRuntime(settings, worker)
        self.proxy = Proxy(self.runtime)
        self.sockets = ResponsesSockets(self.runtime, self.proxy)
        self.operations = _operations_app(self.runtime, wait_ready_s)
        self.operations_paths = (
            _OPERATIONS_PATHS_WITHOUT_METRICS if settings.edge.metrics_port else _OPERATIONS_PATHS
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in self.operations_paths:
            await self.proxy(scope, receive, send)
        elif scope["type"] == "websocket":  # the front door upgrades only the Responses paths
            await self.sockets(scope, receive, send)
        else:
            await self.operations(scope, receive, send)  # type: ignore[arg-type]


def create_app(settings: Settings, worker: int = 0, wait_ready_s: float = 0.0) -> EdgeApp:
    return EdgeApp(settings, worker, wait_ready_s)
