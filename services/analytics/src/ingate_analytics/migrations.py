"""Versioned, idempotent schema migrations, applied at start.

Files are `NNNN_name.sql` under deploy/clickhouse/migrations; each version is
applied once and recorded in ingate.schema_migrations. Statements are written to be
safe to repeat (IF NOT EXISTS), so a crash between applying and recording is harmless.
`{ttl_days}` is replaced with the configured retention.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from clickhouse_connect.driver.client import Client

_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_COMMENT_RE = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def statements(self, ttl_days: int) -> list[str]:
        text = _COMMENT_RE.sub("", self.path.read_text(encoding="utf-8"))
        text = text.replace("{ttl_days}", str(int(ttl_days)))
        return [statement.strip() for statement in text.split(";") if statement.strip()]


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


def apply_migrations(client: Client, directory: Path | None = None, ttl_days: int = 365) -> list[int]:
    """Apply what is not applied yet; return the versions applied now."""
    client.command("CREATE DATABASE IF NOT EXISTS ingate")
    client.command(
        "CREATE TABLE IF NOT EXISTS ingate.schema_migrations "
        "(version UInt32, name String, applied_at DateTime DEFAULT now()) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = {row[0] for row in client.query("SELECT version FROM ingate.schema_migrations FINAL").result_rows}
    applied = []
    for migration in discover(directory or default_migrations_dir()):
        if migration.version in done:
            continue
        for statement in migration.statements(ttl_days):
            client.command(statement)
        client.insert(
            "ingate.schema_migrations",
            [(migration.version, migration.name)],
            column_names=["version", "name"],
        )
        applied.append(migration.version)
    return applied
