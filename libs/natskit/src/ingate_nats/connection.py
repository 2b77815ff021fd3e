"""One way to connect to NATS for every Ingate process: reconnect forever, never give up."""

import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client

from ingate_config import server_urls

log = logging.getLogger("ingate.nats")


async def connect(
    url: str,
    name: str,
    *,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
    connect_timeout_s: float = 2.0,
    reconnect: bool = True,
) -> Client:
    """Connect with unbounded reconnects, so a service outlives any NATS restart.

    `url` may list several servers separated by commas (the seeds of a cluster): the client
    connects to one of them and moves to another when that one goes away.

    Short-lived callers (the CLI) pass `reconnect=False` to fail at once instead.
    """

    client = Client()

    async def disconnected() -> None:
        if not (client.is_closed or client.is_draining):  # a deliberate close is no news
            log.warning("nats disconnected from %s", url)

    async def reconnected() -> None:
        log.info("nats reconnected to %s", url)
        if on_reconnect is not None:
            await on_reconnect()

    last_logged = [0.0]

    async def error(exc: Exception) -> None:
        # A caller that does not retry reports the failure itself; one that retries forever
        # would otherwise log every attempt while NATS is away.
        now = time.monotonic()
        if reconnect and now - last_logged[0] >= 10.0:
            last_logged[0] = now
            log.warning("nats error (repeats muted for 10 s): %s", exc)

    await client.connect(
        servers=server_urls(url),
        name=name,
        connect_timeout=connect_timeout_s,  # type: ignore[arg-type]  # annotated int, takes seconds
        max_reconnect_attempts=-1 if reconnect else 1,
        reconnect_time_wait=0.25,  # type: ignore[arg-type]
        allow_reconnect=reconnect,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )
    return client


async def drain_or_close(client: Client) -> None:
    """Drain on the way out (flush what is pending); just close when NATS is gone already.

    When the whole stack stops at once NATS may be gone first, and drain() then raises
    instead of returning: the connection is closed all the same, without a traceback."""
    try:
        await client.drain()
    except Exception as exc:
        log.info("nats connection closed without draining: %s", type(exc).__name__)
        await client.close()
