"""Usage answers over NATS, in process: exact totals and percentiles, filters, the window, bad queries."""

import time
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from ingate_analytics import ClickHouseSink, UsageResponder
from ingate_contracts.usage import Stats, UsageFailure, UsageQuery, UsageReply
from tests.analytics.harness import running_consumer
from tests.analytics.support import (
    Lane,
    eventually,
    expected_sessions,
    expected_users,
    make_records,
    ours,
    publish,
)


@pytest.fixture
async def responder(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane
) -> AsyncIterator[UsageResponder]:
    """A responder on a subject of the lane's own, so no analytics process elsewhere answers instead."""
    serving = UsageResponder(nats_client, sink, Stats(inserted=7), subject=f"test.usage.{lane.tag}")
    await serving.start()
    yield serving
    await serving.stop()


async def ask(client: NatsClient, responder: UsageResponder, payload: bytes) -> bytes:
    answer = await client.request(responder.subject, payload, timeout=5)
    data: bytes = answer.data
    return data


async def test_totals_and_percentiles_are_exact_per_user_and_per_session(
    js: JetStreamContext, nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: UsageResponder
) -> None:
    records = make_records(lane, 200, users=4, sessions=6, seed=7)
    old = msgspec.structs.replace(records[0], request_id=f"old-{lane.tag}", ts=time.time() - 7200)
    async with running_consumer(js, lane, sink) as consumer:
        await publish(js, lane, [*records, old])
        await publish(js, lane, records[:20], again=True)  # redelivered copies count once

        async def all_stored() -> bool:
            return consumer.stats.inserted + consumer.stats.duplicates >= 221

        await eventually(all_stored)

    query = msgspec.json.encode(UsageQuery(since_s=3600))
    reply = ours(msgspec.json.decode(await ask(nats_client, responder, query), type=UsageReply), lane)
    assert reply.users == expected_users(records)  # the two-hour-old record is outside the hour
    assert reply.sessions == expected_sessions(records)
    assert reply.stats == Stats(inserted=7)

    wider = msgspec.json.encode(UsageQuery(since_s=3 * 3600))
    reply = ours(msgspec.json.decode(await ask(nats_client, responder, wider), type=UsageReply), lane)
    assert reply.users == expected_users([*records, old])


async def test_filters_by_user_and_by_session(
    js: JetStreamContext, nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: UsageResponder
) -> None:
    records = make_records(lane, 80, users=3, sessions=3, seed=3)
    async with running_consumer(js, lane, sink) as consumer:
        await publish(js, lane, records)

        async def all_stored() -> bool:
            return consumer.stats.inserted >= 80

        await eventually(all_stored)

    user, session = lane.user(1), lane.session(2)
    cases = [
        (UsageQuery(user=user), [r for r in records if r.user_id == user]),
        (UsageQuery(session=session), [r for r in records if r.session_id == session]),
        (
            UsageQuery(user=user, session=session),
            [r for r in records if (r.user_id, r.session_id) == (user, session)],
        ),
        (UsageQuery(user=f"nobody-{lane.tag}"), []),
    ]
    for query, kept in cases:
        reply = msgspec.json.decode(
            await ask(nats_client, responder, msgspec.json.encode(query)), type=UsageReply
        )
        assert reply.users == expected_users(kept), query
        assert reply.sessions == expected_sessions(kept), query


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{oops", "bad usage query: JSON is malformed"),
        (b'{"since_s": "yesterday"}', "bad usage query: Expected `float`, got `str` - at `$.since_s`"),
        (b'{"since_s": -1}', "bad usage query: since_s must be a positive number of seconds"),
        (b'{"user": 5}', "bad usage query: Expected `str | null`, got `int` - at `$.user`"),
        (b'{"users": "x"}', "bad usage query: Object contains unknown field `users`"),
    ],
)
async def test_bad_queries_get_an_error_reply_and_the_responder_keeps_serving(
    nats_client: NatsClient, responder: UsageResponder, payload: bytes, message: str
) -> None:
    failure = msgspec.json.decode(await ask(nats_client, responder, payload), type=UsageFailure)
    assert failure.error is not None
    assert failure.error.startswith(message)
    fine = msgspec.json.decode(await ask(nats_client, responder, b"{}"), type=UsageFailure)
    assert fine.error is None
