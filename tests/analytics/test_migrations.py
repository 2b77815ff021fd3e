"""Migrations applied on top of a database that already holds rows, as an upgrade applies them.

chDB opens one data folder per process, so the database is made, filled, migrated and read by a
process of its own (tests/analytics/db_plan.py), on a folder of this test's own.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ingate_analytics.migrations import default_migrations_dir, discover
from ingate_analytics.records import COLUMNS, to_columns
from ingate_analytics.usage import usage_sql
from ingate_contracts import RequestRecord
from ingate_contracts.usage import UsageQuery
from tests.analytics.processes import REPO_ROOT

ROUTES_VERSION = 4
TOKEN_KINDS_VERSION = 5
NEW_COLUMNS = ("route", "attempts", "attempt_errors")
# Columns 0005 added; the one it renamed, as it was called before.
TOKEN_KIND_COLUMNS = ("cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "usage_estimated")
OLD_NAMES = {"cache_read_tokens": "cached_tokens"}
# The column 0006 added, absent from every schema these tests start from.
REQUEST_LOG_COLUMNS = ("attempt_targets",)
CACHE_COLUMNS = ("cache_hit", "cost_saved_usd")  # 0007_response_cache
ROWS_SQL = "SELECT request_id, route, attempts, attempt_errors FROM ingate.requests FINAL ORDER BY request_id"
IDS_SQL = "SELECT request_id FROM ingate.requests FINAL ORDER BY request_id"
NEW_COLUMNS_SQL = (
    "SELECT name FROM system.columns WHERE database = 'ingate' AND table = 'requests' "
    "AND name IN ('route', 'attempts', 'attempt_errors')"
)
ROLLUP_SQL = "SELECT countMerge(requests), countIfMerge(errors) FROM ingate.usage_user_hourly"


def run_steps(data_dir: Path, steps: list[dict[str, Any]]) -> list[Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.analytics.db_plan", str(data_dir), json.dumps(steps)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results: list[Any] = json.loads(done.stdout)
    return results


def insert(
    records: list[RequestRecord], columns: tuple[str, ...], before_renames: bool = False
) -> dict[str, Any]:
    """An insert of `records` into the given columns, as the analytics service of that schema wrote
    (`before_renames`: a schema from before 0005, with columns since renamed under their old names)."""
    every = dict(zip(COLUMNS, to_columns(records), strict=True))
    names = {**OLD_NAMES} if before_renames else {}
    return {
        "insert": [names.get(name, name) for name in columns],
        "columns": [every[name] for name in columns],
    }


def migrations_before(version: int, folder: Path) -> Path:
    """A folder with the migrations older than `version`, as an installation from before it had."""
    folder.mkdir()
    for migration in discover(default_migrations_dir()):
        if migration.version < version:
            shutil.copy(migration.path, folder)
    return folder


def test_the_routes_migration_keeps_existing_rows_and_gives_them_the_defaults(tmp_path: Path) -> None:
    migrations = discover(default_migrations_dir())
    assert ROUTES_VERSION in [m.version for m in migrations]
    before = migrations_before(ROUTES_VERSION, tmp_path / "before")

    now = time.time()
    old = [
        RequestRecord(ts=now - 60, request_id="req-old-0", user_id="alice", status=200),
        RequestRecord(
            ts=now - 30, request_id="req-old-1", user_id="bob", status=502, error_type="upstream_500"
        ),
    ]
    new = [
        RequestRecord(
            ts=now,
            request_id="req-new-0",
            user_id="alice",
            route="smart",
            attempts=2,
            attempt_errors=["upstream_unreachable"],
        )
    ]
    absent = (*NEW_COLUMNS, *TOKEN_KIND_COLUMNS, *REQUEST_LOG_COLUMNS, *CACHE_COLUMNS)
    old_columns = tuple(name for name in COLUMNS if name not in absent)
    route_sql, route_parameters = usage_sql(
        "route", UsageQuery(since_s=3600), now + 1, "countIf(attempts > 1)"
    )

    applied, _, ids, columns = run_steps(
        tmp_path / "data",
        [
            {"migrate": str(before)},
            insert(old, old_columns, before_renames=True),
            {"query": IDS_SQL},
            {"query": NEW_COLUMNS_SQL},
        ],
    )
    assert applied == list(range(1, ROUTES_VERSION))
    assert (ids, columns) == ([["req-old-0"], ["req-old-1"]], [])

    # The same statements once more, as after a crash between applying and recording them.
    again = tmp_path / "again"
    again.mkdir()
    [routes_migration] = [m for m in migrations if m.version == ROUTES_VERSION]
    shutil.copy(routes_migration.path, again / f"{ROUTES_VERSION + 1000:04d}_again.sql")

    applied, repeated, _, rows, rollup, routes = run_steps(
        tmp_path / "data",
        [
            {"migrate": str(default_migrations_dir())},
            {"migrate": str(again)},
            insert(new, COLUMNS),
            {"query": ROWS_SQL},
            {"query": ROLLUP_SQL},
            {"query": route_sql, "parameters": route_parameters},
        ],
    )
    assert applied == [m.version for m in migrations if m.version >= ROUTES_VERSION]
    assert repeated == [ROUTES_VERSION + 1000]
    assert rows == [
        ["req-new-0", "smart", 2, ["upstream_unreachable"]],
        ["req-old-0", "", 1, []],
        ["req-old-1", "", 1, []],
    ]
    assert rollup == [[3, 1]]  # the rollups' views still count every insert, before and after
    assert [(row[0], row[1], row[-1]) for row in routes] == [("", 2, 0), ("smart", 1, 1)]


KINDS_SQL = (
    "SELECT request_id, input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, "
    "reasoning_tokens, usage_estimated FROM ingate.requests FINAL ORDER BY request_id"
)
KINDS_ROLLUP_SQL = (
    "SELECT sumMerge(cache_read_tokens), sumMerge(cache_write_tokens), sumMerge(reasoning_tokens), "
    "countIfMerge(estimated) FROM ingate.usage_{table}"
)


def test_the_token_kinds_migration_keeps_the_cache_reads_stored_before_it(tmp_path: Path) -> None:
    before = migrations_before(TOKEN_KINDS_VERSION, tmp_path / "before")
    now = time.time()
    old = [
        RequestRecord(ts=now - 60, request_id="req-old", session_id="s", input_tokens=50, cached_tokens=40)
    ]
    new = [
        RequestRecord(
            ts=now,
            request_id="req-new",
            session_id="s",
            input_tokens=300,
            cache_read_tokens=100,
            cache_write_tokens=150,
            cache_write_1h_tokens=50,
            output_tokens=90,
            reasoning_tokens=64,
            usage_estimated=True,
        )
    ]
    later = (*TOKEN_KIND_COLUMNS, *REQUEST_LOG_COLUMNS, *CACHE_COLUMNS)
    old_columns = tuple(name for name in COLUMNS if name not in later)
    again = tmp_path / "again"
    again.mkdir()
    [kinds] = [m for m in discover(default_migrations_dir()) if m.version == TOKEN_KINDS_VERSION]
    shutil.copy(kinds.path, again / f"{TOKEN_KINDS_VERSION + 1000:04d}_again.sql")

    applied, _, applied_now, repeated, _, rows, hourly, sessions = run_steps(
        tmp_path / "data",
        [
            {"migrate": str(before)},
            insert(old, old_columns, before_renames=True),
            {"migrate": str(default_migrations_dir())},
            {"migrate": str(again)},  # the same statements once more, as after a crash
            insert(new, COLUMNS),
            {"query": KINDS_SQL},
            {"query": KINDS_ROLLUP_SQL.format(table="user_hourly")},
            {"query": KINDS_ROLLUP_SQL.format(table="session")},
        ],
    )
    assert applied == list(range(1, TOKEN_KINDS_VERSION))
    assert applied_now[0] == TOKEN_KINDS_VERSION  # and every later one
    assert repeated == [TOKEN_KINDS_VERSION + 1000]
    assert rows == [
        ["req-new", 300, 100, 150, 50, 64, True],
        ["req-old", 50, 40, 0, 0, 0, False],
    ]
    # The rollups count the kinds from the migration on; the old row was rolled up without them.
    assert hourly == [[100, 150, 64, 1]]
    assert sessions == [[100, 150, 64, 1]]
