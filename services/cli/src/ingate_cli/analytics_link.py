"""Reaching the analytics service from a command: `ingate usage`, `ingate requests`, `ingate audit`.

Every report command says the same one line when NATS or the analytics service is not there.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import msgspec
from nats.aio.client import Client

from ingate_cli.invocation import is_it_running
from ingate_cli.keys import CommandError
from ingate_nats import connect
from ingate_nats.lookup import AnalyticsUnavailable, ask_analytics, lookup

ANSWER_TIMEOUT_S: Final = 5.0


@asynccontextmanager
async def analytics_connection(url: str) -> AsyncIterator[Client]:
    try:
        client: Client = await connect(url, "ingate-cli", connect_timeout_s=2.0, reconnect=False)
    except Exception:
        raise CommandError(f"cannot reach NATS at {url} ({is_it_running()})") from None
    try:
        yield client
    finally:
        await client.close()


def _unavailable(url: str) -> CommandError:
    return CommandError(f"no analytics service answered on NATS at {url} ({is_it_running()})")


async def ask_bytes(
    url: str, subject: str, query: msgspec.Struct, timeout_s: float = ANSWER_TIMEOUT_S
) -> bytes:
    """The undecoded answer to `query` (for a reply type of its own, as `ingate usage` has)."""
    async with analytics_connection(url) as client:
        try:
            return await ask_analytics(client, subject, query, timeout_s)
        except AnalyticsUnavailable:
            raise _unavailable(url) from None


async def ask_rows(
    url: str, subject: str, query: msgspec.Struct, timeout_s: float = ANSWER_TIMEOUT_S
) -> list[dict[str, Any]]:
    """The rows of a lookup; a refusal (`LookupRefused`, e.g. no such request) is the caller's to word."""
    async with analytics_connection(url) as client:
        try:
            return await lookup(client, subject, query, timeout_s)
        except AnalyticsUnavailable:
            raise _unavailable(url) from None


__all__ = ["ANSWER_TIMEOUT_S", "analytics_connection", "ask_bytes", "ask_rows"]
