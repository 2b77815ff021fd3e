"""`ingate migrate`, the command of the Job ingate-migrate, against the real ClickHouse engine.

chDB opens one data folder per process, so the command runs as a process of its own with its own
INGATE_DATA_DIR, as it does in the Job, and the result is read by another process.
"""

from pathlib import Path

from ingate_analytics.migrations import default_migrations_dir, discover
from tests.analytics.processes import query_data_dir
from tests.support.processes import clean_env, free_port, run_cli


def test_migrate_applies_the_schema_once_then_finds_it_up_to_date(tmp_path: Path) -> None:
    versions = [migration.version for migration in discover(default_migrations_dir())]
    env = clean_env(INGATE_DATA_DIR=str(tmp_path))

    first = run_cli("migrate", env=env, timeout_s=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"applied migrations {', '.join(f'{v:04d}' for v in versions)} to ")

    again = run_cli("migrate", env=env, timeout_s=120)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout

    # One query, as each reading process pays for starting the engine.
    [(recorded, tables)] = query_data_dir(
        tmp_path,
        "SELECT (SELECT arraySort(groupArray(version)) FROM ingate.schema_migrations FINAL),"
        " (SELECT groupArray(name) FROM system.tables WHERE database = 'ingate')",
        {},
    )
    assert recorded == versions
    assert {"requests", "usage_user_hourly", "usage_session"} <= set(tables)


def test_migrate_fails_in_one_line_without_showing_the_password(tmp_path: Path) -> None:
    password = "not-for-the-logs"
    port = free_port()  # nothing listens there
    env = clean_env(
        CLICKHOUSE_URL=f"http://ingate:{password}@127.0.0.1:{port}", INGATE_DATA_DIR=str(tmp_path)
    )
    done = run_cli("migrate", env=env, timeout_s=60)
    assert done.returncode == 1
    assert f"ingate: cannot open ClickHouse at http://127.0.0.1:{port}: " in done.stderr
    assert password not in done.stderr + done.stdout
