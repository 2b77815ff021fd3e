"""Everything one edge process holds for its lifetime: NATS, keys, provider pools."""

import asyncio
import contextlib
import logging
from pathlib import Path

from nats.aio.client import Client

from ingate_config import Settings
from ingate_edge.publish import RecordPublisher
from ingate_edge.spool import Spool
from ingate_edge.translator_client import TranslatorClient
from ingate_edge.upstream import Upstreams
from ingate_nats import KeyCache, connect, ensure_event_streams
from ingate_pricing import PriceTable

log = logging.getLogger("ingate.edge")


class EdgeRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = KeyCache()
        self.upstreams = Upstreams(settings.providers)
        events = settings.events
        spool_dir = Path(events.spool_dir or Path(settings.data_dir) / "spool")
        spool = Spool(
            events.spool_memory_events,
            spool_dir / f"edge-{settings.edge.port}.spool",
            events.spool_file_max_bytes,
        )
        self.publisher = RecordPublisher(spool, enabled=events.publish)
        self.prices = PriceTable.shipped(settings.prices)
        self.translator = TranslatorClient(settings.edge.translate_timeout_s)
        self.nats: Client | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._stream_setup: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self.nats is not None and self.nats.is_connected and self.keys.loaded.is_set()

    async def start(self) -> None:
        self.upstreams.open()
        self.publisher.start()
        # Connect in the background: the edge answers (with clear errors) while NATS is away.
        self._connecting = asyncio.create_task(self._connect_until_up(), name="ingate-nats-connect")

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self.keys.stop()
        await self.publisher.stop()
        if self.nats is not None:
            with contextlib.suppress(Exception):
                await self.nats.drain()
        await self.upstreams.close()

    async def _connect_until_up(self) -> None:
        url = self.settings.nats_url
        while True:
            try:
                client = await connect(url, "ingate-edge", on_reconnect=self._on_reconnect)
                break
            except Exception as exc:
                log.warning("NATS at %s not reachable yet (%s); retrying", url, exc)
                await asyncio.sleep(0.5)
        self.nats = client
        await self._ensure_streams()
        self.publisher.attach(client)
        self.translator.attach(client)
        self.keys.start(client)

    async def _ensure_streams(self) -> None:
        if self.nats is None or not self.settings.events.publish:
            return
        try:
            await ensure_event_streams(self.nats.jetstream(), self.settings.events)
        except Exception as exc:  # records wait in the spool until the stream can be set up
            log.warning("cannot set up the events stream yet: %s", exc)

    async def _on_reconnect(self) -> None:
        self.keys.resync()
        # Not awaited here: the client calls this from its reconnect path.
        self._stream_setup = asyncio.create_task(self._ensure_streams())
