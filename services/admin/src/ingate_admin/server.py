"""Run the admin service under uvicorn on a socket bound for it on the admin host and port."""

import asyncio
import logging
import socket

import uvicorn

from ingate_admin.app import create_app
from ingate_admin.runtime import AdminRuntime
from ingate_config import Settings
from ingate_nats.admin_tokens import AdminTokenStore
from ingate_nats.connection import connect, drain_or_close
from ingate_nats.streams import ensure_event_streams
from ingate_pricing import PriceTable

log = logging.getLogger("ingate.admin")


async def serve_admin(settings: Settings, sock: socket.socket) -> None:
    client = await connect(settings.nats_url, "ingate-admin")
    js = client.jetstream()
    # Before any change is made: without the stream its audit row would be lost.
    try:
        await ensure_event_streams(js, settings.events)
    except Exception as exc:  # the edges and the CLI set it up too; the API still answers
        log.warning("cannot set up the events stream yet: %s", exc)
    prices = PriceTable.shipped(settings.prices)
    runtime = AdminRuntime(config=settings, client=client, js=js, tokens=AdminTokenStore(js), prices=prices)
    config = uvicorn.Config(
        create_app(runtime),
        access_log=False,
        server_header=False,
        log_level="warning",
        log_config=None,
    )
    log.warning("ingate admin listening on http://%s:%d", settings.admin.host, settings.admin.port)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        await drain_or_close(client)


def serve(settings: Settings, sock: socket.socket) -> None:
    asyncio.run(serve_admin(settings, sock))
