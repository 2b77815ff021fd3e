"""The edge application: Litestar for operations and lifecycle, the proxy for provider paths.

Provider paths go straight to the raw ASGI proxy; everything else (health,
readiness, Prometheus metrics, start-up and shutdown) is an ordinary Litestar app.
"""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Response, get

from ingate_config import Settings
from ingate_edge.front_door import raise_open_files_limit
from ingate_edge.proxy import Proxy
from ingate_edge.runtime import EdgeRuntime
from ingate_telemetry import exposition

_OPERATIONS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _operations_app(runtime: EdgeRuntime) -> Litestar:
    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", sync_to_thread=False)
    def readyz() -> Response[dict[str, Any]]:
        nats_up = runtime.nats is not None and runtime.nats.is_connected
        keys_loaded = runtime.keys.loaded.is_set()
        body = {
            "status": "ready" if nats_up and keys_loaded else "not ready",
            "nats_connected": nats_up,
            "keys_loaded": keys_loaded,
            "keys": len(runtime.keys),
        }
        return Response(body, status_code=200 if runtime.ready else 503)

    @get("/metrics", sync_to_thread=False)
    def metrics() -> Response[bytes]:
        body, content_type = exposition(runtime.metrics.registry)
        return Response(body, media_type=content_type)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        raise_open_files_limit(runtime.settings.edge.max_connections)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    # logging_config=None: Litestar would otherwise replace the process's log handler with its own.
    return Litestar(
        route_handlers=[healthz, readyz, metrics],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )


class EdgeApp:
    """ASGI entry point: dispatches provider traffic to the proxy, the rest to Litestar."""

    def __init__(self, settings: Settings) -> None:
        self.runtime = EdgeRuntime(settings)
        self.proxy = Proxy(self.runtime)
        self.operations = _operations_app(self.runtime)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in _OPERATIONS_PATHS:
            await self.proxy(scope, receive, send)
        else:
            await self.operations(scope, receive, send)  # type: ignore[arg-type]


def create_app(settings: Settings) -> EdgeApp:
    return EdgeApp(settings)
