"""The console's usage series over NATS, in process, from the real engine: exact totals per bucket and
per user or session, the filters, the bucket cap."""

import datetime as dt
import time
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from ingate_analytics import ClickHouseSink, UsageSeriesResponder
from ingate_analytics.kinds import REQUESTS
from ingate_analytics.responder import Responder
from ingate_analytics.rows import iso_time
from ingate_analytics.usage_series import MAX_BUCKETS
from ingate_contracts import RequestRecord
from ingate_contracts.lookup import UsageSeriesQuery
from tests.analytics.lookups import refusal, rows, serving
from tests.analytics.support import Lane, is_error, make_records

BUCKET_S = 600


@pytest.fixture
async def responder(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane
) -> AsyncIterator[Responder[UsageSeriesQuery]]:
    async with serving(UsageSeriesResponder, nats_client, sink, lane) as running:
        yield running


def expected(records: list[RequestRecord], keys: tuple[str, ...]) -> list[dict[str, object]]:
    groups: dict[tuple[str, ...], list[RequestRecord]] = {}
    for r in records:
        start = iso_time(dt.datetime.fromtimestamp(r.ts // BUCKET_S * BUCKET_S, dt.UTC))
        groups.setdefault((start, *(getattr(r, k) for k in keys)), []).append(r)
    return [
        {
            "ts": key[0],
            **dict(zip(keys, key[1:], strict=True)),
            "requests": len(group),
            "tokens": sum(r.input_tokens + r.output_tokens for r in group),
            "cost_usd": sum(r.cost_usd for r in group),
            "errors": sum(1 for r in group if is_error(r.status, r.error_type)),
        }
        for key, group in sorted(groups.items())
    ]


async def test_totals_per_bucket_and_per_user_or_session(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[UsageSeriesQuery]
) -> None:
    # Whole seconds: the bucket of each is the floor the expectation takes too.
    now = int(time.time())
    records = [
        msgspec.structs.replace(r, ts=float(now - 37 * i - 5))
        for i, r in enumerate(make_records(lane, 90, seed=8))
    ]
    await sink.insert(REQUESTS, records)
    user = lane.user(0)
    mine = [r for r in records if r.user_id == user]

    by_user = await rows(nats_client, responder, UsageSeriesQuery(user=user, since_s=7200, bucket_s=BUCKET_S))
    assert by_user == expected(mine, ("user_id",))
    assert len(by_user) > 3
    session = lane.session(1)
    by_session = await rows(
        nats_client,
        responder,
        UsageSeriesQuery(by="session", session=session, since_s=7200, bucket_s=BUCKET_S),
    )
    assert by_session == expected([r for r in records if r.session_id == session], ("session_id", "user_id"))
    sessions_of_user = await rows(
        nats_client, responder, UsageSeriesQuery(by="session", user=user, since_s=7200, bucket_s=BUCKET_S)
    )
    assert sessions_of_user == expected([r for r in mine if r.session_id], ("session_id", "user_id"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"by": "model"}', "bad usage series query: Invalid enum value 'model' - at `$.by`"),
        (b'{"bucket_s": 0}', "bad usage series query: bucket_s must be at least 1"),
        (b'{"since_s": -5}', "bad usage series query: since_s must be a positive number of seconds"),
        (
            msgspec.json.encode(UsageSeriesQuery(since_s=MAX_BUCKETS * 60 + 1, bucket_s=60)),
            f"bad usage series query: since_s / bucket_s must be at most {MAX_BUCKETS} buckets",
        ),
        (b'{"user": "' + b"u" * 300 + b'"}', "bad usage series query: user must be at most 256"),
    ],
)
async def test_bad_queries_get_one_line(
    nats_client: NatsClient, responder: Responder[UsageSeriesQuery], payload: bytes, message: str
) -> None:
    assert (await refusal(nats_client, responder, payload)).startswith(message)
    at_the_cap = UsageSeriesQuery(user="nobody", since_s=MAX_BUCKETS * 60, bucket_s=60)
    assert await rows(nats_client, responder, at_the_cap) == []
