"""Decoding and checking records, rows for the table, and the pure parts of usage and the CLI."""

import datetime as dt
import math
import time
from typing import Any

import msgspec
import pytest

from ingate_analytics import COLUMNS, InvalidRecord, decode_record, to_row
from ingate_analytics.records import check_record
from ingate_analytics.usage import BadQuery, check_query, usage_sql
from ingate_cli.usage import parse_since, render
from ingate_contracts import RequestRecord
from ingate_contracts.usage import SessionUsage, Stats, UsageQuery, UsageReply, UserUsage
from tests.analytics.support import inclusive_quantile


def encode(**fields: object) -> bytes:
    return msgspec.json.encode({"ts": 1_760_000_000.25, "request_id": "req-1", **fields})


def test_a_record_decodes_and_becomes_a_row_in_column_order() -> None:
    record = decode_record(encode(user_id="alice", status=201, input_tokens=7, cost_usd=0.5, stream=True))
    row = dict(zip(COLUMNS, to_row(record), strict=True))
    assert row["ts"] == dt.datetime(2025, 10, 9, 8, 53, 20, 250000, tzinfo=dt.UTC)
    assert (row["request_id"], row["user_id"], row["status"]) == ("req-1", "alice", 201)
    assert (row["input_tokens"], row["cost_usd"], row["stream"]) == (7, 0.5, True)
    assert row["method"] == "POST"  # defaults fill what the edge left out


def test_every_column_is_a_record_field() -> None:
    fields = {field.name for field in msgspec.structs.fields(RequestRecord)}
    assert set(COLUMNS) <= fields
    assert len(set(COLUMNS)) == len(COLUMNS)


@pytest.mark.parametrize(
    ("fields", "cache_reads"),
    [({"cached_tokens": 1920}, 1920), ({"cached_tokens": 5, "cache_read_tokens": 7}, 7), ({}, 0)],
)
def test_a_record_from_before_the_token_kinds_keeps_its_cache_reads(
    fields: dict[str, int], cache_reads: int
) -> None:
    record = decode_record(encode(input_tokens=2006, **fields))
    assert dict(zip(COLUMNS, to_row(record), strict=True))["cache_read_tokens"] == cache_reads
    assert b"cached_tokens" not in msgspec.json.encode(record)  # and it is written under the new name


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    assert decode_record(encode(some_future_field=[1, 2])).request_id == "req-1"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "not a request record"),
        (msgspec.json.encode({"request_id": "x"}), "not a request record"),  # no ts
        (encode(status="200"), "not a request record"),
        (encode(request_id=""), "request_id is empty"),
        (encode(ts=-1.0), "ts"),
        (encode(ts=1e12), "ts"),
        (encode(status=70000), "status 70000 is outside 0..65535"),
        (encode(input_tokens=-3), "input_tokens -3 is outside"),
        (encode(output_tokens=2**32), "output_tokens"),
        (encode(response_bytes=-1), "response_bytes"),
    ],
)
def test_unstorable_messages_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidRecord, match=reason):
        decode_record(data)


@pytest.mark.parametrize(
    "name",
    [
        "status",
        "attempts",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "cache_write_1h_tokens",
        "reasoning_tokens",
        "request_bytes",
        "response_bytes",
    ],
)
def test_every_counter_is_range_checked(name: str) -> None:
    top = 2**16 - 1 if name in ("status", "attempts") else 2**32 - 1
    assert getattr(decode_record(encode(**{name: top})), name) == top
    for bad in (-1, top + 1):
        with pytest.raises(InvalidRecord, match=f"{name} {bad} is outside 0..{top}"):
            decode_record(encode(**{name: bad}))


@pytest.mark.parametrize("name", ["cost_usd", "latency_ms", "ttfb_ms", "upstream_ms"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_every_measure_must_be_finite(name: str, value: float) -> None:
    # JSON cannot carry these (msgspec refuses 1e999 already); a record made in code can.
    record = msgspec.structs.replace(decode_record(encode()), **{name: value})
    with pytest.raises(InvalidRecord, match=f"{name} is not a finite number"):
        check_record(record)


@pytest.mark.parametrize("ts", [math.inf, math.nan, 2.0**32, -0.001])
def test_start_times_outside_unix_seconds_are_refused(ts: float) -> None:
    record = msgspec.structs.replace(decode_record(encode()), ts=ts)
    with pytest.raises(InvalidRecord, match="is not a Unix time in seconds"):
        check_record(record)


def test_non_finite_numbers_are_refused() -> None:
    for field in ("cost_usd", "latency_ms"):
        record = RequestRecord(ts=time.time(), request_id="r", **{field: float("nan")})  # type: ignore[arg-type]
        with pytest.raises(InvalidRecord, match=field):
            decode_record(msgspec.json.encode(record))


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("24h", 86400), ("7d", 604800), ("1.5h", 5400)]
)
def test_since_durations(text: str, seconds: float) -> None:
    assert parse_since(text).seconds == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "0h", "1w", "1 h", "1e3s", "abc"])
def test_bad_since_durations_are_refused(text: str) -> None:
    with pytest.raises(Exception, match="expected a positive duration such as 90s, 30m, 24h or 7d"):
        parse_since(text)


def test_usage_queries_bind_every_value_the_caller_sent() -> None:
    sql, parameters = usage_sql("user_id", UsageQuery(user="x' OR 1=1 --", session="s", since_s=60), 1000.0)
    assert "x'" not in sql
    assert parameters == {"since_ms": 940_000, "user": "x' OR 1=1 --", "session": "s"}


@pytest.mark.parametrize(
    "query",
    [
        UsageQuery(since_s=0),
        UsageQuery(since_s=-5),
        UsageQuery(since_s=float("nan")),
        UsageQuery(user="u" * 300),
    ],
)
def test_bad_usage_queries_are_refused(query: UsageQuery) -> None:
    with pytest.raises(BadQuery):
        check_query(query)


def test_the_reference_quantile_interpolates_like_clickhouse() -> None:
    assert inclusive_quantile([12.5, 40.0], 0.5) == 26.25
    assert inclusive_quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
    assert inclusive_quantile([7.0], 0.95) == 7.0


def test_the_usage_table_reads_as_columns() -> None:
    totals: dict[str, Any] = {
        "requests": 3,
        "input_tokens": 1200,
        "output_tokens": 80,
        "cache_read_tokens": 1024,
        "cache_write_tokens": 100,
        "reasoning_tokens": 64,
        "estimated": 1,
        "cost_usd": 0.015625,
        "errors": 1,
    }
    reply = UsageReply(
        users=[UserUsage(user_id="alice", p50_ms=250.0, p95_ms=1234.5, **totals)],
        sessions=[SessionUsage(session_id="s-1", user_id="", p50_ms=9.0, p95_ms=10.0, **totals)],
        stats=Stats(),
    )
    assert render(reply, "90m").splitlines() == [
        "Usage over the last 90m",
        "",
        "USER   REQUESTS  INPUT TOKENS  OUTPUT TOKENS  CACHE READ  CACHE WRITE  REASONING  ESTIMATED"
        "  COST USD  ERRORS  P50 MS  P95 MS",
        "alice         3          1200             80        1024          100         64          1"
        "  0.015625       1   250.0  1234.5",
        "",
        "SESSION  USER    REQUESTS  INPUT TOKENS  OUTPUT TOKENS  CACHE READ  CACHE WRITE  REASONING"
        "  ESTIMATED  COST USD  ERRORS  P50 MS  P95 MS",
        "s-1      (none)         3          1200             80        1024          100         64"
        "          1  0.015625       1     9.0    10.0",
    ]
    assert render(UsageReply(users=[], sessions=[], stats=Stats()), "24h").splitlines()[2] == "No requests."
