"""Versioned, idempotent schema migrations, applied at start.

Files are `NNNN_name.sql` under deploy/clickhouse/migrations; each version is
applied once and recorded in ingate.schema_migrations. Statements are written to be
safe to repeat (IF NOT EXISTS), so a crash between applying and recording is harmless.
`{ttl_days}` is replaced with the configured retention of request rows, `{payloads_ttl_days}`
with that of captured payloads. A migration's TTL holds from its first run; `apply_payloads_ttl`,
run at every start, brings the payloads' TTL to the configured one.

The files are written for one server. With a cluster configured (`INGATE_CLICKHOUSE_CLUSTER`)
each statement is rendered for it by `cluster_sql` (replicated local tables, Distributed tables
over them, `ON CLUSTER` everywhere); the record of applied versions is then one replicated table
shared by every server of the cluster.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from clickhouse_connect.driver.client import Client

from ingate_analytics.cluster_sql import SINGLE, Target, local_table, render_statements

PAYLOADS_TABLE = "ingate.request_payloads"

_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_COMMENT_RE = re.compile(r"--[^\n]*")
# How system.tables shows the payloads' TTL, e.g. "TTL toDateTime(ts) + toIntervalDay(30)".
_PAYLOADS_TTL_RE = re.compile(r"TTL toDateTime\(ts\) \+ toIntervalDay\((\d+)\)")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def statements(self, ttl_days: int, payloads_ttl_days: int = 30, target: Target = SINGLE) -> list[str]:
        text = _COMMENT_RE.sub("", self.path.read_text(encoding="utf-8"))
        text = text.replace("{ttl_days}", str(int(ttl_days)))
        text = text.replace("{payloads_ttl_days}", str(int(payloads_ttl_days)))
        written = [statement.strip() for statement in text.split(";") if statement.strip()]
        return render_statements(written, target)


def default_migrations_dir() -> Path:
    """deploy/clickhouse/migrations of this checkout, or INGATE_ANALYTICS_MIGRATIONS_DIR."""
    configured = os.environ.get("INGATE_ANALYTICS_MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "deploy" / "clickhouse" / "migrations"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("deploy/clickhouse/migrations not found; set INGATE_ANALYTICS_MIGRATIONS_DIR")


def discover(directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.iterdir()):
        match = _FILE_RE.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {directory}")
    return found


def bookkeeping_statements(target: Target = SINGLE) -> list[str]:
    """The database and the record of applied versions. On a cluster that record is one table
    replicated to every server of every shard (its Keeper path has no shard), and this server
    catches up with it before it is read: a version another server recorded a moment ago is not
    applied again (which would replace the rollups' views for a while)."""
    if target.cluster is None:
        return [
            "CREATE DATABASE IF NOT EXISTS ingate",
            "CREATE TABLE IF NOT EXISTS ingate.schema_migrations "
            "(version UInt32, name String, applied_at DateTime DEFAULT now()) "
            "ENGINE = ReplacingMergeTree ORDER BY version",
        ]
    cluster = target.cluster
    return [
        f"CREATE DATABASE IF NOT EXISTS ingate ON CLUSTER {cluster}",
        f"CREATE TABLE IF NOT EXISTS ingate.schema_migrations ON CLUSTER {cluster} "
        "(version UInt32, name String, applied_at DateTime DEFAULT now()) "
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}') "
        "ORDER BY version",
        "SYSTEM SYNC REPLICA ingate.schema_migrations",
    ]


def apply_migrations(
    client: Client,
    directory: Path | None = None,
    ttl_days: int = 365,
    payloads_ttl_days: int = 30,
    cluster: str | None = None,
) -> list[int]:
    """Apply what is not applied yet, then the payloads' TTL; return the versions applied now.
    `cluster`: the name of the ClickHouse cluster to make the schema on (None: one server)."""
    target = Target(cluster)
    if target.cluster is not None:
        _check_not_single_server_schema(client, target.cluster)
    for statement in bookkeeping_statements(target):
        client.command(statement)
    done = {row[0] for row in client.query("SELECT version FROM ingate.schema_migrations FINAL").result_rows}
    applied = []
    for migration in discover(directory or default_migrations_dir()):
        if migration.version in done:
            continue
        for statement in migration.statements(ttl_days, payloads_ttl_days, target):
            client.command(statement)
        client.insert(
            "ingate.schema_migrations",
            [(migration.version, migration.name)],
            column_names=["version", "name"],
        )
        applied.append(migration.version)
    apply_payloads_ttl(client, payloads_ttl_days, target)
    return applied


def _check_not_single_server_schema(client: Client, cluster: str) -> None:
    """Refuse to make the cluster's schema over a one-server schema: its record of applied
    versions would say all is done while no table is replicated. Moving a server's rows into a
    cluster is a copy (INSERT INTO … SELECT), not a migration."""
    rows = client.query(
        "SELECT engine FROM system.tables WHERE database = 'ingate' AND name = 'schema_migrations'"
    ).result_rows
    if rows and not str(rows[0][0]).startswith("Replicated"):
        raise ValueError(
            f"INGATE_CLICKHOUSE_CLUSTER is {cluster!r}, but this server holds a one-server schema "
            f"(ingate.schema_migrations is {rows[0][0]}): start the cluster on empty servers"
        )


def _payloads_table(target: Target) -> str:
    """The table that holds the payloads' TTL: on a cluster, the replicated one under the Distributed."""
    return PAYLOADS_TABLE if target.cluster is None else local_table(PAYLOADS_TABLE)


def payloads_ttl_days(client: Client, target: Target = SINGLE) -> int | None:
    """The days ingate.request_payloads keeps a row, as its TTL says; None without the table."""
    name = _payloads_table(target).split(".", 1)[1]
    rows = client.query(
        "SELECT engine_full FROM system.tables WHERE database = 'ingate' AND name = {name:String}",
        parameters={"name": name},
    ).result_rows
    if not rows:
        return None
    match = _PAYLOADS_TTL_RE.search(str(rows[0][0]))
    return int(match.group(1)) if match else None


def apply_payloads_ttl(client: Client, days: int, target: Target = SINGLE) -> None:
    """Keep captured payloads `days` days, changing the table only when its TTL says otherwise
    (a change makes ClickHouse re-check every part, so it is not repeated at every start)."""
    if int(days) < 1:
        raise ValueError("payloads.ttl_days must be at least 1")
    current = payloads_ttl_days(client, target)
    if current is None or current == int(days):
        return
    alter = f"ALTER TABLE {PAYLOADS_TABLE} MODIFY TTL toDateTime(ts) + INTERVAL {int(days)} DAY"
    for statement in render_statements([alter], target):
        client.command(statement)
