"""The Request dashboard on the seeded rows: the record, its attempts as `ingate requests show` lists
them, and its payload when captured."""

from typing import Any

from clickhouse_connect.driver.client import Client as ClickHouseClient

from ingate_analytics.requests_lookup import attempts_of
from tests.dashboards.seed import PAYLOAD_ROW, REQUEST_ID, SEED_COLUMNS, VALUES, panel_sql, run, seed_rows

UID = "ingate-request"


def _show(seeded: ClickHouseClient, title: str, request_id: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = run(
        seeded, panel_sql(UID, title), {**VALUES, "request_id": request_id}
    ).result_rows
    return rows


def test_the_record_of_the_request_asked_for(seeded: ClickHouseClient) -> None:
    [record] = _show(seeded, "Record", REQUEST_ID)
    seeded_row = dict(zip(SEED_COLUMNS, next(r for r in seed_rows() if r[1] == REQUEST_ID), strict=True))
    assert record[1:7] == tuple(
        seeded_row[c] for c in ("request_id", "key_id", "user_id", "session_id", "provider", "model")
    )
    assert _show(seeded, "Record", "dashtest-no-such-request") == []
    assert _show(seeded, "Record", "' OR 1=1 --") == []  # a typed-in quote stays a value


def test_attempts_are_those_ingate_requests_show_lists(seeded: ClickHouseClient) -> None:
    rows = [dict(zip(SEED_COLUMNS, row, strict=True)) for row in seed_rows()]
    assert {len(r["attempt_targets"]) for r in rows} >= {0, 2, 3}, (
        "the seed must hold failovers and direct requests"
    )
    assert any(r["attempts"] == 0 for r in rows), "and a request Ingate answered itself"
    for record in rows:
        shown = [
            {"n": n, "target": target, "error": error}
            for n, target, error in _show(seeded, "Attempts", record["request_id"])
        ]
        assert shown == attempts_of(record), record["request_id"]
    first = _show(seeded, "Attempts", REQUEST_ID)
    assert [(n, error) for n, _, error in first] == [
        (1, "upstream_unreachable"),
        (2, "upstream_500"),
        (3, ""),
    ]


def test_the_payload_when_captured(seeded: ClickHouseClient) -> None:
    [payload] = _show(seeded, "Payload", REQUEST_ID)
    assert payload == PAYLOAD_ROW[2:]
    assert _show(seeded, "Payload", "dashtest-req-02") == []  # not captured: no row
