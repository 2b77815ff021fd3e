"""The `ingate-translator` NATS micro service: one queue group, four endpoints."""

import asyncio
import logging
import signal

import uvloop
from nats.aio.client import Client
from nats.micro import add_service
from nats.micro.service import Service

from ingate_config import Settings
from ingate_contracts import translation as wire
from ingate_nats import connect
from ingate_translator.handlers import ENDPOINTS

log = logging.getLogger("ingate.translator")


async def start_translator(client: Client) -> Service:
    service = await add_service(
        client,
        name=wire.SERVICE_NAME,
        version=wire.SERVICE_VERSION,
        description="Converts requests, responses and stream events between API formats",
        queue_group=wire.QUEUE_GROUP,
    )
    group = service.add_group(name=wire.SUBJECT_PREFIX)
    for name, handler in ENDPOINTS.items():
        await group.add_endpoint(name=name, handler=handler)
    return service


async def run_translator(settings: Settings) -> None:
    client = await connect(settings.nats_url, wire.SERVICE_NAME)
    service = await start_translator(client)
    log.warning("ingate translator serving %s.* on %s", wire.SUBJECT_PREFIX, settings.nats_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await service.stop()
    await client.drain()


def serve(settings: Settings) -> None:
    uvloop.run(run_translator(settings))
