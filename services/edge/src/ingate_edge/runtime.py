"""Everything one edge process holds for its lifetime: NATS, keys, provider pools.

`upstreams` and `routes` are replaced whole when the run-time catalog changes, each by one
assignment: a request reads them once, as it starts, and keeps the objects it read, so one
in flight finishes on the pools and routes it began with.
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from nats.aio.client import Client

from ingate_config import ProviderConfig, RouteConfig, Settings
from ingate_edge.cache.store import ResponseCache
from ingate_edge.capture import Capturer
from ingate_edge.catalog_watch import CatalogWatch
from ingate_edge.cooldowns import Cooldowns
from ingate_edge.limits import Limiter, SharedBuckets, SpendBook
from ingate_edge.publish import RecordPublisher
from ingate_edge.routing.table import RouteTable
from ingate_edge.spool import Spool
from ingate_edge.telemetry import EdgeMetrics, RequestTracer
from ingate_edge.translator_client import TranslatorClient
from ingate_edge.upstream import Upstreams, close_after
from ingate_nats import KeyCache, connect, drain_or_close, ensure_event_streams
from ingate_nats.buckets import limits_bucket
from ingate_pricing import PriceTable
from ingate_telemetry import tracing_from_env

log = logging.getLogger("ingate.edge")

# A removed or changed provider's pool stays open this long past its read timeout, so
# requests already on it can finish.
_RETIRE_GRACE_S = 30.0


def spool_name(port: int, worker: int) -> str:
    # Each worker sharing a port keeps its own spool; worker 0 keeps the single edge's name.
    return f"edge-{port}.spool" if worker == 0 else f"edge-{port}-{worker}.spool"


class EdgeRuntime:
    def __init__(self, settings: Settings, worker: int = 0) -> None:
        self.settings = settings
        self.keys = KeyCache(settings.events.stream_replicas)
        self.upstreams = Upstreams(settings.providers)
        self.routes = RouteTable(settings.routes, self.upstreams)
        self.cooldowns = Cooldowns(settings.events.stream_replicas)
        events = settings.events
        spool_dir = Path(events.spool_dir or Path(settings.data_dir) / "spool")
        spool = Spool(
            events.spool_memory_events,
            spool_dir / spool_name(settings.edge.port, worker),
            events.spool_file_max_bytes,
        )
        self.publisher = RecordPublisher(spool, enabled=events.publish)
        self.capturer = Capturer(settings.payloads, settings.providers.values())
        self.tracing = tracing_from_env("ingate-edge")
        self.tracer = None if self.tracing is None else RequestTracer(self.tracing.tracer("ingate.edge"))
        self.metrics = EdgeMetrics(self.publisher, self.keys, lambda: self.ready)
        self.prices = PriceTable.shipped(settings.prices)
        self.catalog = CatalogWatch(settings, self.prices, self.apply_catalog)
        self._retiring: set[asyncio.Task[None]] = set()
        self.translator = TranslatorClient(settings.edge.translate_timeout_s)
        self.spend = SpendBook(settings.events.stream_replicas)
        self.limiter = Limiter(self.spend)
        self.cache = ResponseCache(settings.cache, settings.events.stream_replicas, lambda: self.nats)
        self.nats: Client | None = None
        # Records go on a connection of their own: NATS handles a connection's messages in
        # order, so a batch being committed would otherwise hold up translator calls.
        self.records_nats: Client | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._stream_setup: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        # Keys loaded once is enough: while NATS is away the edge serves from its copy and
        # spools records, so an orchestrator must keep sending it traffic (a readiness that
        # followed NATS would take every edge out of service at once). The same for the run-time
        # providers and routes: an edge without them would answer their callers "unknown".
        return self.keys.loaded.is_set() and self.catalog.loaded.is_set()

    async def wait_ready(self, timeout_s: float) -> None:
        """Until the keys and the run-time catalog are loaded from NATS, or `timeout_s` has passed."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.keys.loaded.wait()
                await self.catalog.loaded.wait()
        except TimeoutError:
            log.warning("keys or catalog not loaded after %.0f s (is NATS up?); serving anyway", timeout_s)

    def apply_catalog(self, providers: dict[str, ProviderConfig], routes: dict[str, RouteConfig]) -> None:
        """Route by these providers and routes from now on (the file's merged with the stored ones)."""
        previous = self.upstreams
        upstreams = Upstreams(providers, previous)
        upstreams.open()
        self.routes = RouteTable(routes, upstreams, self.routes)
        self.upstreams = upstreams
        self.capturer.use_providers(providers.values())
        left = upstreams.left_behind(previous)
        if left:
            grace = _RETIRE_GRACE_S + max(u.config.read_timeout_s for u in left)
            task = asyncio.create_task(close_after(left, grace), name="ingate-upstreams-retire")
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)

    async def start(self) -> None:
        for provider in self.settings.providers.values():
            if provider.missing_credential:
                log.warning(
                    "provider %s: %s is not set; its requests get 503 until it is",
                    provider.name,
                    provider.missing_credential,
                )
        self.upstreams.open()
        self.publisher.start()
        # Off the event loop: building the price catalog takes most of a second.
        threading.Thread(target=self.prices.load, name="ingate-prices", daemon=True).start()
        # Connect in the background: the edge answers (with clear errors) while NATS is away.
        self._connecting = asyncio.create_task(self._connect_until_up(), name="ingate-nats-connect")

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self.cache.stop()
        await self.keys.stop()
        await self.catalog.stop()
        await self.cooldowns.stop()
        await self.limiter.stop()
        await self.spend.stop()
        await self.publisher.stop()
        for client in (self.records_nats, self.nats):
            if client is not None:
                await drain_or_close(client)
        for task in list(self._retiring):  # their pools close at once
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.upstreams.close()
        if self.tracing is not None:  # send the spans still buffered
            await asyncio.to_thread(self.tracing.shutdown)

    async def _connect(self, name: str, on_reconnect: Callable[[], Awaitable[None]] | None = None) -> Client:
        url = self.settings.nats_url
        while True:
            try:
                return await connect(url, name, on_reconnect=on_reconnect)
            except Exception as exc:
                log.warning("NATS at %s not reachable yet (%s); retrying", url, exc)
                await asyncio.sleep(0.5)

    async def _connect_until_up(self) -> None:
        client = self.nats = await self._connect("ingate-edge", self._on_reconnect)
        await self._ensure_streams()
        if self.settings.events.publish:
            self.records_nats = await self._connect("ingate-edge-records")
            self.publisher.attach(self.records_nats)
        self.translator.attach(client)
        self.keys.start(client)
        self.catalog.start(client)
        self.spend.start(client)
        self.cooldowns.start(client)
        await self._attach_limits(client)

    async def _attach_limits(self, client: Client) -> None:
        # Until the shared bucket opens, each edge limits on its own (see limits/limiter.py).
        while True:
            try:
                bucket = await limits_bucket(client, self.settings.events.stream_replicas)
            except Exception as exc:
                log.warning("shared limits unavailable yet: %s", exc)
                await asyncio.sleep(1.0)
                continue
            self.limiter.attach(SharedBuckets(bucket))
            return

    async def _ensure_streams(self) -> None:
        if self.nats is None or not self.settings.events.publish:
            return
        try:
            await ensure_event_streams(self.nats.jetstream(), self.settings.events)
        except Exception as exc:  # records wait in the spool until the stream can be set up
            log.warning("cannot set up the events stream yet: %s", exc)

    async def _on_reconnect(self) -> None:
        self.keys.resync()
        self.catalog.resync()
        self.spend.mirror.resync()
        self.cooldowns.resync()
        # Not awaited here: the client calls this from its reconnect path.
        self._stream_setup = asyncio.create_task(self._ensure_streams())
