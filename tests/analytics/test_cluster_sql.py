"""Migrations rendered for a ClickHouse cluster: every migration file, and forms added later.

No cluster runs here: the rendered SQL is checked for its structure (each table replicated, ON
CLUSTER on every statement, a Distributed table over each local one, views on the local tables),
not byte for byte. The single-server form is the files' own SQL, which the other tests run on chDB.
"""

import re
from pathlib import Path

import pytest

from ingate_analytics import ClickHouseSink
from ingate_analytics.cluster_sql import (
    REPLICA_NAME,
    REPLICA_PATH,
    SHARDING_KEYS,
    SINGLE,
    Target,
    render_statement,
)
from ingate_analytics.kinds import DEFAULT_KINDS, REQUESTS
from ingate_analytics.migrations import Migration, bookkeeping_statements, default_migrations_dir, discover

CLUSTER = Target("ingate")
MIGRATIONS = discover(default_migrations_dir())
_CREATE_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+\.\w+) ON CLUSTER ingate ", re.S)
_DISTRIBUTED = re.compile(r"AS (\w+\.\w+) ENGINE = Distributed\(ingate, (\w+), (\w+)(?:, (.*))?\)$")
_ALTER = re.compile(r"ALTER TABLE (\w+\.\w+) ON CLUSTER ingate (.*)$", re.S)
_VIEW = re.compile(r"^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+\.\w+ ON CLUSTER ingate TO (\w+\.\w+) AS ")


def _rendered(migration: Migration) -> list[str]:
    return migration.statements(365, 30, CLUSTER)


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.path.name)
def test_single_target_keeps_every_file_as_written(migration: Migration) -> None:
    assert migration.statements(365, 30, SINGLE) == migration.statements(365, 30)
    assert not any("ON CLUSTER" in s or "Replicated" in s for s in migration.statements(365, 30))


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.path.name)
def test_every_statement_of_every_migration_runs_on_the_whole_cluster(migration: Migration) -> None:
    for statement in _rendered(migration):
        assert re.search(r"\bON CLUSTER ingate\b", statement), statement
        assert "{ttl_days}" not in statement and "{payloads_ttl_days}" not in statement


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.path.name)
def test_every_table_is_replicated_with_a_distributed_table_over_it(migration: Migration) -> None:
    rendered = _rendered(migration)
    tables = [(m.group(1), s) for s in rendered if (m := _CREATE_TABLE.match(s))]
    locals_ = {name: s for name, s in tables if name.endswith("_local")}
    distributed = {name: s for name, s in tables if not name.endswith("_local")}
    assert {f"{name}_local" for name in distributed} == set(locals_)
    for statement in locals_.values():
        engine = re.search(r"ENGINE = (\w+)\('([^']*)', '([^']*)'", statement)
        assert engine, statement
        assert engine.group(1).startswith("Replicated") and engine.group(1).endswith("MergeTree")
        assert (engine.group(2), engine.group(3)) == (REPLICA_PATH, REPLICA_NAME)
        # The order, partitions and TTL stay those of the file.
        assert "ORDER BY" in statement
    for name, statement in distributed.items():
        table = name.split(".")[1]
        engine = _DISTRIBUTED.search(statement)
        assert engine, statement
        assert engine.group(1) == f"{name}_local" and engine.group(3) == f"{table}_local"
        key = SHARDING_KEYS.get(table)
        assert engine.group(4) == (f"cityHash64({key})" if key else None)


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.path.name)
def test_materialized_views_read_and_write_the_local_tables(migration: Migration) -> None:
    for statement in _rendered(migration):
        if statement.startswith("CREATE MATERIALIZED VIEW"):
            view = _VIEW.match(statement)
            assert view and view.group(1).endswith("_local"), statement
            sources = re.findall(r"\bFROM (\w+\.\w+)", statement)
            assert sources and all(source.endswith("_local") for source in sources), statement


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.path.name)
def test_column_changes_reach_the_local_and_the_distributed_table(migration: Migration) -> None:
    rendered = _rendered(migration)
    alters = [m for s in rendered if (m := _ALTER.match(s))]
    for index, alter in enumerate(alters):
        table, change = alter.groups()
        if "COLUMN" in change and table.endswith("_local"):
            # The local tables first (the Distributed table reads their columns), then the Distributed.
            assert alters[index + 1].groups() == (table.removesuffix("_local"), change)
        elif "COLUMN" in change:
            assert alters[index - 1].groups() == (f"{table}_local", change)


def test_every_table_the_consumer_writes_is_sharded_by_its_row_id() -> None:
    for kind in (REQUESTS, *DEFAULT_KINDS.values()):
        assert SHARDING_KEYS[kind.table.split(".")[1]] == kind.id_column


# Forms a migration may take, among them those not in any file yet (an ALTER adding cache columns).
CASES = [
    (
        "CREATE DATABASE IF NOT EXISTS ingate",
        ["CREATE DATABASE IF NOT EXISTS ingate ON CLUSTER ingate"],
    ),
    (
        "ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cache_hit Bool DEFAULT false AFTER error_type",
        [
            "ALTER TABLE ingate.requests_local ON CLUSTER ingate ADD COLUMN IF NOT EXISTS cache_hit Bool "
            "DEFAULT false AFTER error_type",
            "ALTER TABLE ingate.requests ON CLUSTER ingate ADD COLUMN IF NOT EXISTS cache_hit Bool "
            "DEFAULT false AFTER error_type",
        ],
    ),
    (
        "ALTER TABLE ingate.requests\n    ADD COLUMN IF NOT EXISTS a UInt8,\n    DROP COLUMN IF EXISTS b",
        [
            "ALTER TABLE ingate.requests_local ON CLUSTER ingate ADD COLUMN IF NOT EXISTS a UInt8,\n"
            "    DROP COLUMN IF EXISTS b",
            "ALTER TABLE ingate.requests ON CLUSTER ingate ADD COLUMN IF NOT EXISTS a UInt8,\n"
            "    DROP COLUMN IF EXISTS b",
        ],
    ),
    (
        "ALTER TABLE ingate.requests RENAME COLUMN IF EXISTS a TO b",
        [
            "ALTER TABLE ingate.requests_local ON CLUSTER ingate RENAME COLUMN IF EXISTS a TO b",
            "ALTER TABLE ingate.requests ON CLUSTER ingate RENAME COLUMN IF EXISTS a TO b",
        ],
    ),
    (
        "ALTER TABLE ingate.request_payloads MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY",
        [
            "ALTER TABLE ingate.request_payloads_local ON CLUSTER ingate "
            "MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY"
        ],
    ),
    (
        "DROP VIEW IF EXISTS ingate.usage_session_mv",
        ["DROP VIEW IF EXISTS ingate.usage_session_mv ON CLUSTER ingate"],
    ),
    (
        "CREATE TABLE IF NOT EXISTS ingate.cache_stats (day Date, n UInt64) "
        "ENGINE = SummingMergeTree ORDER BY day",
        [
            "CREATE TABLE IF NOT EXISTS ingate.cache_stats_local ON CLUSTER ingate (day Date, n UInt64) "
            f"ENGINE = ReplicatedSummingMergeTree('{REPLICA_PATH}', '{REPLICA_NAME}') ORDER BY day",
            "CREATE TABLE IF NOT EXISTS ingate.cache_stats ON CLUSTER ingate AS ingate.cache_stats_local "
            "ENGINE = Distributed(ingate, ingate, cache_stats_local)",
        ],
    ),
    (
        "CREATE TABLE ingate.audit (ts DateTime, audit_id String) "
        "ENGINE = ReplacingMergeTree(ts, gone) ORDER BY audit_id",
        [
            "CREATE TABLE ingate.audit_local ON CLUSTER ingate (ts DateTime, audit_id String) "
            f"ENGINE = ReplicatedReplacingMergeTree('{REPLICA_PATH}', '{REPLICA_NAME}', ts, gone) "
            "ORDER BY audit_id",
            "CREATE TABLE ingate.audit ON CLUSTER ingate AS ingate.audit_local "
            "ENGINE = Distributed(ingate, ingate, audit_local, cityHash64(audit_id))",
        ],
    ),
]


@pytest.mark.parametrize(("statement", "expected"), CASES)
def test_statement_forms_render_for_a_cluster(statement: str, expected: list[str]) -> None:
    assert render_statement(statement, CLUSTER) == expected
    assert render_statement(statement, SINGLE) == [statement]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO ingate.requests SELECT * FROM ingate.old",
        "OPTIMIZE TABLE ingate.requests FINAL",
        "CREATE TABLE ingate.memo (x UInt8) ENGINE = Memory",
        "ALTER TABLE ingate.requests ADD COLUMN a UInt8, MODIFY TTL toDateTime(ts) + INTERVAL 1 DAY",
    ],
)
def test_statements_without_a_cluster_form_are_refused(statement: str) -> None:
    with pytest.raises(ValueError, match=r"cluster form|separate ALTERs"):
        render_statement(statement, CLUSTER)


@pytest.mark.parametrize("name", ["", "in gate", "a;DROP", "1st"])
def test_cluster_names_are_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        Target(name)


def test_the_record_of_applied_versions_is_one_table_on_every_shard() -> None:
    assert bookkeeping_statements(SINGLE)[1].endswith("ENGINE = ReplacingMergeTree ORDER BY version")
    database, table, sync = bookkeeping_statements(CLUSTER)
    assert database.endswith("ON CLUSTER ingate")
    assert sync == "SYSTEM SYNC REPLICA ingate.schema_migrations"  # this server's copy, up to date
    assert "ON CLUSTER ingate" in table and "'/clickhouse/tables/all/{database}/{table}'" in table
    assert "{shard}" not in table


def test_a_migration_added_later_is_rendered_too(tmp_path: Path) -> None:
    path = tmp_path / "0099_cache.sql"
    path.write_text(
        "-- cache columns\n"
        "ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cache_hit Bool DEFAULT false;\n"
        "ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cost_saved_usd Float64 DEFAULT 0 "
        "AFTER cache_hit;\n"
    )
    [migration] = discover(tmp_path)
    rendered = migration.statements(365, 30, CLUSTER)
    assert [s.split(" ON CLUSTER")[0] for s in rendered] == [
        "ALTER TABLE ingate.requests_local",
        "ALTER TABLE ingate.requests",
        "ALTER TABLE ingate.requests_local",
        "ALTER TABLE ingate.requests",
    ]


async def test_clickhouse_parses_every_rendered_statement(sink: ClickHouseSink) -> None:
    """The engine's own parser (chDB's, the server's) takes each statement; no cluster is needed to
    parse one, only to run it."""
    statements = bookkeeping_statements(CLUSTER) + [s for m in MIGRATIONS for s in _rendered(m)]
    for statement in statements:
        ast = await sink.query(f"EXPLAIN AST {statement}")
        assert ast, statement
