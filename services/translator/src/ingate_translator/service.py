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
from ingate_nats import connect, drain_or_close
from ingate_telemetry import new_registry, tracing_from_env
from ingate_telemetry.ops import OpsServer
from ingate_translator.handlers import endpoints
from ingate_translator.telemetry import TranslatorTelemetry

log = logging.getLogger("ingate.translator")


async def start_translator(client: Client, telemetry: TranslatorTelemetry | None = None) -> Service:
    if telemetry is None:
        telemetry = TranslatorTelemetry(new_registry(), tracer=None)
    service = await add_service(
        client,
        name=wire.SERVICE_NAME,
        version=wire.SERVICE_VERSION,
        description="Converts requests, responses and stream events between API formats",
        queue_group=wire.QUEUE_GROUP,
    )
    group = service.add_group(name=wire.SUBJECT_PREFIX)
    for name, handler in endpoints(telemetry).items():
        await group.add_endpoint(name=name, handler=handler)
    return service


async def run_translator(settings: Settings) -> None:
    tracing = tracing_from_env(wire.SERVICE_NAME)
    telemetry = TranslatorTelemetry(
        new_registry(), None if tracing is None else tracing.tracer("ingate.translator")
    )
    client = await connect(settings.nats_url, wire.SERVICE_NAME)
    service = await start_translator(client, telemetry)
    ops = OpsServer(telemetry.registry, lambda: {"nats_connected": client.is_connected})
    if settings.telemetry.metrics_port:
        await ops.start(settings.telemetry.metrics_port)
    log.warning("ingate translator serving %s.* on %s", wire.SUBJECT_PREFIX, settings.nats_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await service.stop()
    await drain_or_close(client)
    await ops.stop()
    if tracing is not None:
        await asyncio.to_thread(tracing.shutdown)


def serve(settings: Settings) -> None:
    uvloop.run(run_translator(settings))
