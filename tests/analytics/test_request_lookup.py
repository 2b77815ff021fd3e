"""`ingate requests show|list` answered over NATS, in process, from the real engine: one record with
its attempts and payload, lists newest first with each filter, the limit cap, hostile queries."""

import time
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from ingate_analytics import COLUMNS, ClickHouseSink, RequestsResponder
from ingate_analytics.kinds import PAYLOADS, REQUESTS
from ingate_analytics.responder import Responder
from ingate_contracts import RequestRecord
from ingate_contracts.lookup import MAX_LOOKUP_ROWS, NO_SUCH_REQUEST, RequestsQuery
from ingate_contracts.payloads import PayloadRecord
from ingate_contracts.usage import MAX_ID_LENGTH
from tests.analytics.lookups import ask_raw, refusal, rows, serving
from tests.analytics.support import Lane, is_error, make_records


@pytest.fixture
async def responder(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane
) -> AsyncIterator[Responder[RequestsQuery]]:
    async with serving(RequestsResponder, nats_client, sink, lane) as running:
        yield running


def _failover(lane: Lane) -> RequestRecord:
    return RequestRecord(
        ts=time.time() - 30,
        request_id=f"req-{lane.tag}-failover",
        key_id=f"key-{lane.tag}",
        user_id=lane.user(0),
        provider="anthropic",
        model="claude-haiku-4",
        status=200,
        route=lane.route(0),
        attempts=2,
        attempt_errors=["upstream_500"],
        attempt_targets=["openai/gpt-4o-mini", "anthropic/claude-haiku-4"],
        input_tokens=12,
        output_tokens=3,
    )


async def test_show_answers_every_column_the_attempts_and_the_payload(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    record = _failover(lane)
    payload = PayloadRecord(
        request_id=record.request_id,
        ts=record.ts,
        request_body='{"messages": []}',
        response_body='{"content": "hi [REDACTED]"}',
        redacted=True,
    )
    await sink.insert(REQUESTS, [record])
    await sink.insert(PAYLOADS, [payload])

    [shown] = await rows(nats_client, responder, RequestsQuery(request_id=record.request_id))
    assert set(shown) == {*COLUMNS, "payload"}
    assert (shown["request_id"], shown["user_id"], shown["status"], shown["route"]) == (
        record.request_id, record.user_id, 200, lane.route(0),
    )  # fmt: skip
    assert shown["attempts"] == [
        {"n": 1, "target": "openai/gpt-4o-mini", "error": "upstream_500"},
        {"n": 2, "target": "anthropic/claude-haiku-4", "error": ""},
    ]
    assert shown["payload"] == {
        "request_body": '{"messages": []}',
        "response_body": '{"content": "hi [REDACTED]"}',
        "truncated": False,
        "redacted": True,
    }
    assert shown["ts"].endswith("Z") and shown["ts"][:19] == time.strftime(
        "%Y-%m-%dT%H:%M:%S", time.gmtime(record.ts)
    )


async def test_show_without_a_payload_and_without_targets(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    direct, limited = make_records(lane, 2, seed=5)
    direct = msgspec.structs.replace(direct, attempts=1, attempt_errors=[], provider="openai", model="gpt-x")
    limited = msgspec.structs.replace(limited, attempts=0, attempt_errors=[], status=429)
    await sink.insert(REQUESTS, [direct, limited])

    [shown] = await rows(nats_client, responder, RequestsQuery(request_id=direct.request_id))
    assert shown["payload"] is None
    assert shown["attempts"] == [{"n": 1, "target": "openai/gpt-x", "error": ""}]  # as stored before targets
    [shown] = await rows(nats_client, responder, RequestsQuery(request_id=limited.request_id))
    assert shown["attempts"] == []  # rate limited: no upstream attempt


async def test_an_unknown_id_is_no_such_request(
    nats_client: NatsClient, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    query = msgspec.json.encode(RequestsQuery(request_id=f"req-{lane.tag}-never"))
    assert await refusal(nats_client, responder, query) == NO_SUCH_REQUEST


async def test_lists_newest_first_with_each_filter(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    # A whole second apart, so newest first is one order whatever ClickHouse does with sub-milliseconds.
    now = time.time()
    spread = make_records(lane, 60, users=3, sessions=3, seed=9)
    records = [msgspec.structs.replace(r, ts=now - 5 * i - 1) for i, r in enumerate(spread)]
    other_key = [msgspec.structs.replace(r, key_id=f"other-{lane.tag}") for r in records[:10]]
    records = other_key + records[10:]
    old = msgspec.structs.replace(records[-1], request_id=f"old-{lane.tag}", ts=time.time() - 7200)
    await sink.insert(REQUESTS, [*records, old])
    await sink.insert(REQUESTS, records[:5])  # a redelivery is still one row

    def newest_first(kept: list[RequestRecord]) -> list[str]:
        return [
            r.request_id for r in sorted(kept, key=lambda r: (round(r.ts, 3), r.request_id), reverse=True)
        ]

    key = f"key-{lane.tag}"
    user, session = lane.user(1), lane.session(2)
    cases = [
        (RequestsQuery(key_id=key, since_s=3600), [r for r in records if r.key_id == key]),
        (RequestsQuery(key_id=key), [*(r for r in records if r.key_id == key), old]),
        (RequestsQuery(key_id=f"other-{lane.tag}"), other_key),
        (RequestsQuery(user=user), [r for r in [*records, old] if r.user_id == user]),
        (RequestsQuery(session=session), [r for r in [*records, old] if r.session_id == session]),
        (RequestsQuery(user=user, session=session), [
            r for r in [*records, old] if (r.user_id, r.session_id) == (user, session)
        ]),
        (RequestsQuery(key_id=key, status="429"), [
            r for r in [*records, old] if r.key_id == key and r.status == 429
        ]),
        (RequestsQuery(key_id=key, status="errors"), [
            r for r in [*records, old] if r.key_id == key and is_error(r.status, r.error_type)
        ]),
        (RequestsQuery(user=f"nobody-{lane.tag}"), []),
    ]  # fmt: skip
    for query, kept in cases:
        assert kept or query.user.startswith("nobody"), query
        query.limit = MAX_LOOKUP_ROWS  # the default (50) is less than some of these
        found = await rows(nats_client, responder, query)
        assert [row["request_id"] for row in found] == newest_first(kept), query
    assert any(r.status == 200 and r.error_type for r in records), (
        "the errors filter must see 200 + error type"
    )
    assert len(await rows(nats_client, responder, RequestsQuery(key_id=key))) == RequestsQuery().limit
    [first] = await rows(nats_client, responder, RequestsQuery(key_id=key, limit=1))
    assert set(first) == set(COLUMNS)  # a list row is the record's columns, nothing more


async def test_limit_is_capped_at_the_contract_maximum(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    records = make_records(lane, MAX_LOOKUP_ROWS + 5, seed=2)
    await sink.insert(REQUESTS, records)
    key = f"key-{lane.tag}"
    assert len(await rows(nats_client, responder, RequestsQuery(key_id=key, limit=7))) == 7
    capped = await rows(nats_client, responder, RequestsQuery(key_id=key, limit=10 * MAX_LOOKUP_ROWS))
    assert len(capped) == MAX_LOOKUP_ROWS


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{oops", "bad requests query: JSON is malformed"),
        (b"[]", "bad requests query: Expected `object`, got `array`"),
        (b'{"users": "x"}', "bad requests query: Object contains unknown field `users`"),
        (b'{"status": "5xx"}', "bad requests query: status must be an HTTP status code such as 429, or 'err"),
        (b'{"status": "4290"}', "bad requests query: status must be an HTTP status code"),
        (b'{"status": "1; DROP TABLE ingate.requests"}', "bad requests query: status must be"),
        (b'{"since_s": -1}', "bad requests query: since_s must be a positive number of seconds"),
        (b'{"since_s": "yesterday"}', "bad requests query: Expected `float`, got `str` - at `$.since_s`"),
        (b'{"limit": 0}', "bad requests query: limit must be at least 1"),
        (b'{"limit": 1.5}', "bad requests query: Expected `int`, got `float` - at `$.limit`"),
        (b'{"user": "' + b"u" * (MAX_ID_LENGTH + 1) + b'"}', "bad requests query: user must be at most 256"),
        (
            b'{"request_id": "' + b"r" * (MAX_ID_LENGTH + 1) + b'"}',
            f"bad requests query: request_id must be at most {MAX_ID_LENGTH}",
        ),
    ],
)  # fmt: skip
async def test_bad_queries_get_one_line_and_the_responder_keeps_serving(
    nats_client: NatsClient, responder: Responder[RequestsQuery], payload: bytes, message: str
) -> None:
    error = await refusal(nats_client, responder, payload)
    assert error.startswith(message) and "\n" not in error, error
    fine = await ask_raw(nats_client, responder, msgspec.json.encode(RequestsQuery(user="nobody", limit=1)))
    assert msgspec.json.decode(fine) == {"rows": []}


async def test_a_hostile_id_is_a_bound_value_not_sql(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[RequestsQuery]
) -> None:
    [record] = make_records(lane, 1, seed=4)
    await sink.insert(REQUESTS, [record])
    hostile = "' OR 1=1 --"
    assert await rows(nats_client, responder, RequestsQuery(user=hostile)) == []
    query = msgspec.json.encode(RequestsQuery(request_id=hostile))
    assert await refusal(nats_client, responder, query) == NO_SUCH_REQUEST
