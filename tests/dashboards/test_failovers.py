"""The overview's failover panels: requests that needed more than one upstream attempt, by route,
and the failed attempts by route and error type, counted exactly from the stored rows."""

from collections import Counter

from clickhouse_connect.driver.client import Client as ClickHouseClient

from tests.analytics.support import is_error
from tests.dashboards.seed import CTX, PREFIX, ROUTES, panel_sql, run, seed_rows

Row = tuple[str, int, list[str], int, str]  # route, attempts, attempt_errors, status, error_type


def shown(route: str) -> str:
    return route or "(none)"


def stored_in_range(client: ClickHouseClient) -> list[Row]:
    """Every row the overview sees: the seeded ones, and those other tests stored in the engine."""
    result = client.query(
        "SELECT route, attempts, attempt_errors, status, error_type FROM ingate.requests FINAL "
        "WHERE ts >= %(start)s AND ts <= %(end)s",
        parameters={"start": CTX.time_from, "end": CTX.time_to},
    )
    return [(row[0], row[1], list(row[2]), row[3], row[4]) for row in result.result_rows]


def failed_attempts(rows: list[Row]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(route, error type) -> failed attempts, requests with one, those of them that succeeded."""
    attempts: Counter[tuple[str, str]] = Counter()
    requests: Counter[tuple[str, str]] = Counter()
    recovered: Counter[tuple[str, str]] = Counter()
    for route, _, errors, status, error_type in rows:
        for error in errors:
            attempts[shown(route), error] += 1
        for error in set(errors):
            requests[shown(route), error] += 1
            recovered[shown(route), error] += not is_error(status, error_type)
    return {key: (attempts[key], requests[key], recovered[key]) for key in attempts}


def test_failovers_count_requests_with_more_than_one_attempt_by_route(seeded: ClickHouseClient) -> None:
    per_bucket = run(seeded, panel_sql("ingate-overview", "Failovers")).result_rows
    totals: Counter[str] = Counter()
    for _, route, failovers in per_bucket:
        totals[route] += failovers
    expected = Counter(shown(route) for route, attempts, *_ in stored_in_range(seeded) if attempts > 1)
    assert totals == expected
    seeded_routes = Counter(shown(row[17]) for row in seed_rows() if row[18] > 1)
    assert {r: n for r, n in totals.items() if r.startswith(PREFIX)} == seeded_routes
    assert set(seeded_routes) == {route for route in ROUTES if route}  # no failover without a route


def test_failed_attempts_are_listed_by_route_and_error_type(seeded: ClickHouseClient) -> None:
    sql = panel_sql("ingate-overview", "Failed attempts by route")
    assert sql.endswith(" LIMIT 50")
    # Other tests' routes share the engine: compare everything without the limit, then the limit.
    every = run(seeded, sql.removesuffix(" LIMIT 50")).result_rows
    listed: dict[tuple[str, str], tuple[int, int, int]] = {
        (route, error): (attempts, requests, recovered)
        for route, error, attempts, requests, recovered, _ in every
    }
    assert listed == failed_attempts(stored_in_range(seeded))
    assert [tuple(row) for row in run(seeded, sql).result_rows] == [tuple(row) for row in every[:50]]
    assert [row[2] for row in every] == sorted((row[2] for row in every), reverse=True)

    seeded_rows: list[Row] = [(row[17], row[18], row[19], row[8], row[16]) for row in seed_rows()]
    mine = {key: value for key, value in listed.items() if key[0].startswith(PREFIX)}
    assert mine == {k: v for k, v in failed_attempts(seeded_rows).items() if k[0].startswith(PREFIX)}
    assert mine[f"{PREFIX}route-fast", "upstream_unreachable"] == (3, 2, 1)  # row 16 failed it twice
    assert ("(none)", "upstream_unreachable") in listed  # a request without a route failed its one
