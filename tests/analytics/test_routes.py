"""Route, attempts and failed attempts' error types: decoded, checked, written and read back."""

import time

import msgspec
import pytest

from ingate_analytics import COLUMNS, ClickHouseSink, InvalidRecord, decode_record, to_row
from ingate_analytics.kinds import REQUESTS
from ingate_contracts import RequestRecord
from tests.analytics.support import Lane

# A record as edges wrote them before routing: none of the three fields.
OLD_RECORD = {
    "ts": 1_760_000_000.25,
    "request_id": "req-old",
    "key_id": "key-1",
    "user_id": "alice",
    "provider": "openai",
    "model": "gpt-4o",
    "endpoint": "/v1/chat/completions",
    "status": 200,
    "input_tokens": 12,
    "output_tokens": 3,
    "cost_usd": 0.25,
    "error_type": "",
}


def test_a_record_from_before_routing_decodes_with_one_attempt_and_no_route() -> None:
    record = decode_record(msgspec.json.encode(OLD_RECORD))
    assert (record.route, record.attempts, record.attempt_errors) == ("", 1, [])
    assert (record.provider, record.model, record.input_tokens) == ("openai", "gpt-4o", 12)
    row = dict(zip(COLUMNS, to_row(record), strict=True))
    assert (row["route"], row["attempts"], row["attempt_errors"]) == ("", 1, [])


def test_each_record_gets_its_own_list_of_failed_attempts() -> None:
    first, second = RequestRecord(ts=1.0, request_id="a"), RequestRecord(ts=1.0, request_id="b")
    first.attempt_errors.append("upstream_500")
    assert second.attempt_errors == []


def test_a_routed_record_decodes_and_becomes_a_row() -> None:
    data = msgspec.json.encode(
        {
            **OLD_RECORD,
            "route": "smart",
            "attempts": 3,
            "attempt_errors": ["upstream_500", "upstream_timeout"],
        }
    )
    row = dict(zip(COLUMNS, to_row(decode_record(data)), strict=True))
    assert (row["route"], row["attempts"]) == ("smart", 3)
    assert row["attempt_errors"] == ["upstream_500", "upstream_timeout"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"attempts": -1}, "attempts -1 is outside 0..65535"),
        ({"attempts": 2**16}, "attempts 65536 is outside 0..65535"),
        ({"attempt_errors": "upstream_500"}, "not a request record"),
        ({"attempt_errors": [500]}, "not a request record"),
        ({"route": None}, "not a request record"),
    ],
)
def test_unstorable_routing_fields_are_refused(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidRecord, match=reason):
        decode_record(msgspec.json.encode({**OLD_RECORD, **fields}))


async def test_routing_fields_are_written_and_read_back(sink: ClickHouseSink) -> None:
    lane = Lane.new()
    now = time.time()
    records = [
        RequestRecord(ts=now, request_id=f"req-{lane.tag}-0", route=lane.route(0)),
        RequestRecord(
            ts=now,
            request_id=f"req-{lane.tag}-1",
            route=lane.route(0),
            attempts=3,
            attempt_errors=["upstream_500", "upstream_unreachable"],
        ),
        RequestRecord(  # refused before any upstream attempt
            ts=now, request_id=f"req-{lane.tag}-2", status=401, error_type="unauthorized", attempts=0
        ),
        RequestRecord(
            ts=now,
            request_id=f"req-{lane.tag}-3",
            route=lane.route(1),
            attempts=2,
            attempt_errors=["upstream_429", "upstream_500"],  # both failed: the request did too
            status=502,
            error_type="upstream_500",
        ),
    ]
    await sink.insert(REQUESTS, records)
    rows = await sink.query(
        "SELECT request_id, route, attempts, attempt_errors FROM ingate.requests FINAL "
        "WHERE startsWith(request_id, {p:String}) ORDER BY request_id",
        {"p": f"req-{lane.tag}-"},
    )
    assert rows == [(r.request_id, r.route, r.attempts, r.attempt_errors) for r in records]
