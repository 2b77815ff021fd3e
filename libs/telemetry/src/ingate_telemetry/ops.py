"""The operations listener of a service that serves no HTTP otherwise: /healthz, /readyz, /metrics.

aiohttp's server rather than prometheus_client's own: that one runs in a thread and knows
only /metrics, while readiness must look at state the service's event loop owns (is NATS
connected, is the consumer bound) and a scrape may first ask NATS for the consumer's lag.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry

from ingate_telemetry.metrics import exposition

log = logging.getLogger("ingate.telemetry")

ReadyCheck = Callable[[], Mapping[str, bool]]
BeforeScrape = Callable[[], Awaitable[None]]

# A scrape answers even when NATS does not: the values read before then are served as they are.
_REFRESH_TIMEOUT_S: Final = 1.0


class OpsServer:
    """Serves the three paths on `port` once started; `ready` returns named checks, all must hold."""

    def __init__(
        self,
        registry: CollectorRegistry,
        ready: ReadyCheck,
        *,
        before_scrape: BeforeScrape | None = None,
    ) -> None:
        self.registry = registry
        self.ready = ready
        self.before_scrape = before_scrape
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._app = app

    async def start(self, port: int, host: str = "0.0.0.0", *, reuse_port: bool = False) -> None:
        """`reuse_port`: processes sharing one port (the edge's workers) may each listen on it."""
        runner = web.AppRunner(self._app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        self._runner = runner
        log.info("operations listener on http://%s:%d (/healthz, /readyz, /metrics)", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _: web.Request) -> web.Response:
        checks = dict(self.ready())
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not ready", **checks}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _: web.Request) -> web.Response:
        if self.before_scrape is not None:
            try:
                await asyncio.wait_for(self.before_scrape(), _REFRESH_TIMEOUT_S)
            except Exception as exc:  # e.g. NATS away: serve what is known
                log.debug("refreshing metrics before a scrape failed: %s", exc)
        body, content_type = exposition(self.registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response
