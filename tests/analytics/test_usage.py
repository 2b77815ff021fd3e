"""Usage answers over NATS, in process: exact totals and percentiles per user, session and route,
filters, the window, bad queries."""

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
    expected_routes,
    expected_sessions,
    expected_users,
    make_records,
    ours,
    publish,
)
from tests.support.waiting import eventually


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


async def test_totals_by_route_count_failovers_and_requests_without_a_route(
    js: JetStreamContext, nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: UsageResponder
) -> None:
    records = make_records(lane, 150, users=3, routes=3, seed=12)
    assert {r.route for r in records} == {"", lane.route(0), lane.route(1), lane.route(2)}
    assert any(r.attempts > 1 for r in records) and any(r.attempts == 0 for r in records)
    async with running_consumer(js, lane, sink) as consumer:
        await publish(js, lane, records)

        async def all_stored() -> bool:
            return consumer.stats.inserted >= 150

        await eventually(all_stored)

    async def by_route(user: str | None = None) -> UsageReply:
        payload = msgspec.json.encode(UsageQuery(user=user, by=("route",)))
        return msgspec.json.decode(await ask(nats_client, responder, payload), type=UsageReply)

    reply = await by_route()
    assert (reply.users, reply.sessions) == ([], [])  # only what was asked for
    expected = expected_routes(records)
    assert ours(reply, lane).routes == [r for r in expected if r.route]
    assert sum(r.failovers for r in expected) > 0
    # Requests without a route share "" with every other lane's: one user's are exact.
    user = lane.user(2)
    mine = [r for r in records if r.user_id == user]
    assert (await by_route(user=user)).routes == expected_routes(mine)
    assert expected_routes(mine)[0].route == ""

    everything = msgspec.json.encode(UsageQuery(user=user, by=("user", "session", "route")))
    reply = msgspec.json.decode(await ask(nats_client, responder, everything), type=UsageReply)
    assert (reply.users, reply.sessions, reply.routes) == (
        expected_users(mine),
        expected_sessions(mine),
        expected_routes(mine),
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{oops", "bad usage query: JSON is malformed"),
        (b'{"since_s": "yesterday"}', "bad usage query: Expected `float`, got `str` - at `$.since_s`"),
        (b'{"since_s": -1}', "bad usage query: since_s must be a positive number of seconds"),
        (b'{"user": 5}', "bad usage query: Expected `str | null`, got `int` - at `$.user`"),
        (b'{"users": "x"}', "bad usage query: Object contains unknown field `users`"),
        (b'{"by": []}', "bad usage query: by must name at least one grouping: user, session or route"),
        (b'{"by": ["model"]}', "bad usage query: Invalid enum value 'model' - at `$.by[0]`"),
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
