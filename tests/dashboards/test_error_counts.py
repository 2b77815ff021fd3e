"""What the dashboards count as an error: status 400 or above, or any error type.

A provider stream that broke off after its 200 status line (recorded as 502, or as 200 with
its error type by earlier versions) and a client that left mid-stream (499) are errors in every
panel that counts errors, exact or from the rollups.
"""

from typing import Any

import pytest
from clickhouse_connect.driver.client import Client as ClickHouseClient

from tests.analytics.support import is_error
from tests.dashboards.seed import CTX, STREAM_FAILURES, USER_A, VALUES, panel_sql, run, seed_rows


def errors_of(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [row for row in rows if is_error(row[8], row[16])]


def stored_in_range(client: ClickHouseClient) -> list[tuple[Any, ...]]:
    """Every row the overview sees (other tests may share the engine): (status, error_type, provider)."""
    result = client.query(
        "SELECT status, error_type, provider FROM ingate.requests FINAL "
        "WHERE ts >= %(start)s AND ts <= %(end)s",
        parameters={"start": CTX.time_from, "end": CTX.time_to},
    )
    return [tuple(row) for row in result.result_rows]


def test_overview_counts_broken_streams_and_departed_clients_as_errors(seeded: ClickHouseClient) -> None:
    stored = stored_in_range(seeded)
    failed = [row for row in stored if is_error(row[0], row[1])]
    assert {*STREAM_FAILURES.values()} <= {(status, error) for status, error, _ in failed}
    error_rate = run(seeded, panel_sql("ingate-overview", "Error rate")).result_rows[0][0]
    assert error_rate == pytest.approx(len(failed) / len(stored))
    by_model = run(seeded, panel_sql("ingate-overview", "Usage by model")).result_rows
    assert sum(row[3] for row in by_model) == len(failed)
    listed = run(seeded, panel_sql("ingate-overview", "Errors")).result_rows
    assert {(error, status, provider): n for error, status, provider, n, _ in listed} == {
        (error, status, provider): failed.count((status, error, provider))
        for status, error, provider in set(failed)
    }
    per_second = run(seeded, panel_sql("ingate-overview", "Requests and errors per second")).result_rows
    assert sum(row[2] for row in per_second) * CTX.interval_s == pytest.approx(len(failed))
    by_time = {row[0]: (row[1], row[2]) for row in per_second}
    for time, client_share, server_share in run(
        seeded, panel_sql("ingate-overview", "Error rate over time")
    ).result_rows:
        requests, errors = by_time[time]  # the two kinds of error make up all of a bucket's errors
        assert client_share + server_share == pytest.approx(errors / requests)


def test_user_and_session_panels_count_broken_streams_and_departed_clients(seeded: ClickHouseClient) -> None:
    rows = seed_rows()
    mine = [row for row in rows if row[3] == USER_A]
    session = [row for row in rows if row[4] == VALUES["session"]]
    assert {*STREAM_FAILURES.values()} <= {(row[8], row[16]) for row in errors_of(session)}

    def column(dashboard_uid: str, title: str, index: int) -> list[Any]:
        return [row[index] for row in run(seeded, panel_sql(dashboard_uid, title)).result_rows]

    assert column("ingate-per-user", "Error rate", 0) == [pytest.approx(len(errors_of(mine)) / len(mine))]
    assert sum(column("ingate-per-user", "Requests over time", 2)) == len(errors_of(mine))
    assert sum(column("ingate-per-user", "By model", 3)) == len(errors_of(mine))
    sessions = dict(
        zip(column("ingate-per-user", "Sessions", 0), column("ingate-per-user", "Sessions", 4), strict=True)
    )
    assert sessions[VALUES["session"]] == len(errors_of(session))
    assert column("ingate-per-session", "Errors", 0) == [len(errors_of(session))]
    assert column("ingate-per-session", "Whole session", 3) == [len(errors_of(session))]
    assert sum(column("ingate-per-session", "By model", 3)) == len(errors_of(session))
