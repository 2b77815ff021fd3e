"""`ingate usage --by`: the option, the query it sends, and the tables it prints."""

from typing import Any

import msgspec
import pytest

from ingate_analytics.usage import usage_sql
from ingate_cli.main import build_parser
from ingate_cli.usage import groupings, render
from ingate_contracts.usage import Grouping, RouteUsage, Stats, UsageQuery, UsageReply, UserUsage

TOTALS: dict[str, Any] = {
    "requests": 4,
    "input_tokens": 900,
    "output_tokens": 60,
    "cost_usd": 0.03125,
    "errors": 1,
    "p50_ms": 120.0,
    "p95_ms": 840.5,
}
REPLY = UsageReply(
    users=[UserUsage(user_id="alice", **TOTALS)],
    sessions=[],
    stats=Stats(),
    routes=[RouteUsage(route="", failovers=0, **TOTALS), RouteUsage(route="smart", failovers=2, **TOTALS)],
)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ("user", "session")),
        (["--by", "route"], ("route",)),
        (["--by", "route", "--by", "user", "--by", "route"], ("user", "route")),
        (["--by", "session"], ("session",)),
    ],
)
def test_by_chooses_the_groupings_each_once_in_table_order(
    argv: list[str], expected: tuple[str, ...]
) -> None:
    args = build_parser().parse_args(["usage", *argv])
    assert groupings(args.by) == expected


def test_by_refuses_anything_else(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["usage", "--by", "model"])
    assert "invalid choice: 'model'" in capsys.readouterr().err


def test_the_default_query_is_what_services_before_routes_understood() -> None:
    # An older service refuses unknown fields: a query without --by must not send `by`.
    assert msgspec.json.decode(msgspec.json.encode(UsageQuery(since_s=60))) == {"since_s": 60.0}
    assert msgspec.json.decode(msgspec.json.encode(UsageQuery(by=("route",)))) == {"by": ["route"]}


def test_a_reply_from_before_routes_decodes_without_routes() -> None:
    old = b'{"users": [], "sessions": [], "stats": {}}'
    assert msgspec.json.decode(old, type=UsageReply).routes == []


def test_route_totals_are_grouped_by_route_with_failovers() -> None:
    sql, _ = usage_sql("route", UsageQuery(by=("route",)), 1000.0, "countIf(attempts > 1)")
    assert sql.startswith("SELECT route, count() AS requests, ")
    assert ", countIf(attempts > 1) FROM ingate.requests FINAL WHERE " in sql
    assert sql.endswith(" GROUP BY route ORDER BY route")


def test_the_route_table_names_requests_without_a_route_and_counts_failovers() -> None:
    assert render(REPLY, "1h", ("route",)).splitlines() == [
        "Usage over the last 1h",
        "",
        "ROUTE   REQUESTS  INPUT TOKENS  OUTPUT TOKENS  CACHE READ  CACHE WRITE  REASONING  ESTIMATED"
        "  COST USD  ERRORS  P50 MS  P95 MS  FAILOVERS",
        "(none)         4           900             60           0            0          0          0"
        "  0.031250       1   120.0   840.5          0",
        "smart          4           900             60           0            0          0          0"
        "  0.031250       1   120.0   840.5          2",
    ]


def test_only_the_tables_asked_for_are_printed() -> None:
    both = render(REPLY, "1h", ("user", "route")).splitlines()
    assert [line.split()[0] for line in both if line.isupper()] == ["USER", "ROUTE"]
    assert "ROUTE" not in render(REPLY, "1h")  # the default: users and sessions


@pytest.mark.parametrize(
    ("by", "message"),
    [
        (("route",), "No requests."),
        (("user", "session"), "No requests."),
        (("session",), "No requests with a session."),
    ],
)
def test_an_empty_answer_says_so(by: tuple[Grouping, ...], message: str) -> None:
    empty = UsageReply(users=[], sessions=[], stats=Stats())
    assert render(empty, "24h", by).splitlines() == ["Usage over the last 24h", "", message]
