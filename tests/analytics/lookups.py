"""Serving one lookup responder on a subject of a test's own, and asking it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient

from ingate_analytics import ClickHouseSink
from ingate_analytics.responder import Responder
from ingate_contracts.lookup import LookupFailure, LookupReply
from tests.analytics.support import Lane


@asynccontextmanager
async def serving(
    kind: type[Responder[Any]], client: NatsClient, sink: ClickHouseSink, lane: Lane
) -> AsyncIterator[Responder[Any]]:
    """A responder on the lane's own subject, so no analytics process elsewhere answers instead."""
    responder = kind(client, sink, subject=f"test.{kind.__name__}.{lane.tag}")
    await responder.start()
    try:
        yield responder
    finally:
        await responder.stop()


async def ask_raw(client: NatsClient, responder: Responder[Any], payload: bytes) -> bytes:
    answer = await client.request(responder.subject, payload, timeout=10)
    data: bytes = answer.data
    return data


async def rows(client: NatsClient, responder: Responder[Any], query: msgspec.Struct) -> list[dict[str, Any]]:
    data = await ask_raw(client, responder, msgspec.json.encode(query))
    failure = msgspec.json.decode(data, type=_Either)
    assert failure.error is None, failure.error
    return msgspec.json.decode(data, type=LookupReply).rows


async def refusal(client: NatsClient, responder: Responder[Any], payload: bytes) -> str:
    return msgspec.json.decode(await ask_raw(client, responder, payload), type=LookupFailure).error


class _Either(msgspec.Struct):
    error: str | None = None
