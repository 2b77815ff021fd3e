"""The analytics service: request records from JetStream into ClickHouse, and reports on request.

Start-up order: NATS and the streams, then the database and its migrations, then the consumer
and the responders (usage, usage series, request lookups, the audit trail). SIGINT or SIGTERM
stops fetching, writes and acknowledges the batch in hand, and closes everything.
"""

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from ingate_analytics.audit_lookup import AuditResponder
from ingate_analytics.batcher import Batcher
from ingate_analytics.consumer import ACK_WAIT_S, EventConsumer
from ingate_analytics.database import embedded_path, open_database
from ingate_analytics.migrations import apply_migrations
from ingate_analytics.requests_lookup import RequestsResponder
from ingate_analytics.responder import Responder
from ingate_analytics.sink import ClickHouseSink, Sink
from ingate_analytics.telemetry import AnalyticsTelemetry
from ingate_analytics.usage import UsageResponder
from ingate_analytics.usage_series import UsageSeriesResponder
from ingate_config import Settings
from ingate_contracts.subjects import EVENTS_STREAM, EVENTS_STREAM_SUBJECTS
from ingate_contracts.usage import Stats
from ingate_nats import connect, drain_or_close, ensure_event_streams
from ingate_telemetry import tracing_from_env

log = logging.getLogger("ingate.analytics")

SERVICE_NAME = "ingate-analytics"


def build_batcher(settings: Settings, sink: Sink, stats: Stats, ack_wait_s: float) -> Batcher:
    delay_s = settings.analytics.flush_interval_ms / 1000
    if delay_s > ack_wait_s / 2:
        # A batch must be written well before JetStream would hand its first message out again.
        log.warning("analytics.flush_interval_ms is capped at %d ms", ack_wait_s * 500)
        delay_s = ack_wait_s / 2
    return Batcher(
        sink,
        stats,
        max_records=settings.analytics.batch_size,
        max_delay_s=delay_s,
        heartbeat_s=ack_wait_s / 3,
    )


async def run_analytics(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set, or until SIGINT/SIGTERM when no event is given."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    tracing = tracing_from_env(SERVICE_NAME)
    client = await connect(settings.nats_url, SERVICE_NAME)
    js = client.jetstream()
    stats = Stats()
    telemetry = AnalyticsTelemetry(stats, js, tracing)
    await telemetry.start(settings.telemetry.metrics_port, lambda: client.is_connected)
    await ensure_event_streams(js, settings.events)
    try:
        sink = await open_sink(settings)
    except BaseException:
        await telemetry.stop()
        await client.close()
        raise
    consumer = EventConsumer(
        js,
        build_batcher(settings, telemetry.metered(sink), stats, ACK_WAIT_S),
        duplicate_window_s=settings.events.duplicate_window_s,
    )
    consumer.batcher.on_stored = telemetry.stored
    responders: list[Responder[Any]] = [
        UsageResponder(client, sink, stats),
        UsageSeriesResponder(client, sink),
        RequestsResponder(client, sink),
        AuditResponder(client, sink),
    ]
    try:
        await consumer.start()
        for responder in responders:
            await responder.start()
        telemetry.consuming = True  # ready: consuming, and answering `ingate usage`, `requests`, `audit`
        log.warning(
            "ingate analytics consuming %s (%s) on %s into %s; answering %s",
            EVENTS_STREAM, EVENTS_STREAM_SUBJECTS, settings.nats_url, _where(settings),
            ", ".join(r.subject for r in responders),
        )  # fmt: skip
        await consumer.run(stop)
    finally:
        for responder in responders:
            await responder.stop()
        log.info("analytics stopped: %s", stats)
        await sink.close()
        await drain_or_close(client)
        await telemetry.stop()


def serve(settings: Settings) -> None:
    try:
        asyncio.run(run_analytics(settings))
    except StartError as exc:
        log.error("ingate analytics cannot start: %s", exc)
        raise SystemExit(1) from None


class StartError(RuntimeError):
    """The database cannot be opened or brought up to date; the text says which and why."""


async def open_sink(settings: Settings) -> ClickHouseSink:
    """Open ClickHouse (a server, or embedded chDB) and apply the migrations it lacks."""
    migrations = Path(settings.analytics.migrations_dir) if settings.analytics.migrations_dir else None
    try:
        database = await asyncio.to_thread(open_database, settings)
    except Exception as exc:
        hint = "" if settings.clickhouse_url else " (is another analytics service using this folder?)"
        raise StartError(f"cannot open {_where(settings)}{hint}: {_one_line(exc)}") from exc
    sink = ClickHouseSink(database)
    try:
        await sink.run(
            lambda db: apply_migrations(
                db,
                migrations,
                ttl_days=settings.analytics.ttl_days,
                payloads_ttl_days=settings.payloads.ttl_days,
                cluster=settings.clickhouse_cluster,
            )
        )
    except Exception as exc:
        await sink.close()
        raise StartError(f"cannot apply the migrations to {_where(settings)}: {_one_line(exc)}") from exc
    return sink


def _where(settings: Settings) -> str:
    if settings.clickhouse_url:
        return _redact(settings.clickhouse_url)
    return f"embedded ClickHouse in {embedded_path(settings)}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500] or type(exc).__name__


def _redact(url: str) -> str:
    """A ClickHouse URL without the password it may carry."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
