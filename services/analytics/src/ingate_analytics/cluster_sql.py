"""Migration statements rendered for their target: one server (or embedded chDB), or a cluster.

The migration files are written for one server, and run there unchanged. On a cluster
(`INGATE_CLICKHOUSE_CLUSTER` names one of the servers' `remote_servers`) each statement becomes
what the same schema needs on every replica of every shard, run once through `ON CLUSTER`:

- a table `ingate.T` becomes `ingate.T_local`, its engine replicated (`ReplacingMergeTree(v)` →
  `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v)`,
  the macros each server's configuration defines), plus `ingate.T`, a `Distributed` table over
  the local ones. Everything else keeps using `ingate.T`: inserts go through it to the shard that
  `SHARDING_KEYS` names (so every copy of a request lands on one shard, where ReplacingMergeTree
  can collapse it), reads fan out to every shard;
- a materialized view reads and writes the local tables: each replica rolls up the inserts it
  takes itself, and its rollup's parts replicate like any other;
- an `ALTER TABLE` of columns is made on the local and on the Distributed table (they must agree),
  any other (a TTL, a setting) on the local table only;
- `DROP VIEW` and `CREATE DATABASE` only gain `ON CLUSTER`.

A statement of any other form is refused rather than run on one server of a cluster. Pure:
text in, text out.
"""

import re
from dataclasses import dataclass
from typing import Final

LOCAL_SUFFIX: Final = "_local"
# Where each shard's replicas of a table meet in Keeper; the macros are expanded per server.
REPLICA_PATH: Final = "/clickhouse/tables/{shard}/{database}/{table}"
REPLICA_NAME: Final = "{replica}"
# The tables the analytics consumer inserts into (through their Distributed table), by the column
# that names a row: the sharding key, so a repeated row goes where the first copy went. A table
# missing here gets a Distributed table without a key, which serves reads and one-shard inserts.
SHARDING_KEYS: Final[dict[str, str]] = {
    "requests": "request_id",
    "request_payloads": "request_id",
    "audit": "audit_id",
}

_NAME: Final = r"(?P<db>\w+)\.(?P<name>\w+)"
_CREATE_DATABASE: Final = re.compile(r"^CREATE DATABASE (?P<if>IF NOT EXISTS )?(?P<db>\w+)$", re.I)
_CREATE_TABLE: Final = re.compile(
    rf"^CREATE TABLE (?P<if>IF NOT EXISTS )?{_NAME}\s*(?P<rest>\(.*)$", re.I | re.S
)
_ENGINE: Final = re.compile(r"ENGINE\s*=\s*(?P<engine>\w*MergeTree)\b(?:\s*\((?P<args>[^)]*)\))?", re.I)
_CREATE_VIEW: Final = re.compile(
    rf"^CREATE MATERIALIZED VIEW (?P<if>IF NOT EXISTS )?{_NAME}"
    r"\s+TO\s+(?P<to>\w+\.\w+)\s+AS\s+(?P<select>.*)$",
    re.I | re.S,
)
_DROP_VIEW: Final = re.compile(rf"^DROP VIEW (?P<if>IF EXISTS )?{_NAME}$", re.I)
_ALTER_TABLE: Final = re.compile(rf"^ALTER TABLE {_NAME}\s+(?P<rest>.*)$", re.I | re.S)
# ALTERs that change columns: a Distributed table has the columns of its local tables.
_COLUMN_ALTER: Final = re.compile(r"^(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN\b", re.I)
_ALTER_PARTS: Final = re.compile(r",\s*(?=(?:ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR|MATERIALIZE)\s)", re.I)
_SOURCE: Final = re.compile(r"\b(FROM|JOIN)\s+(?P<table>\w+\.\w+)\b", re.I)


@dataclass(frozen=True)
class Target:
    """Where migrations run: one server (`cluster` None: the statements as written) or a cluster."""

    cluster: str | None = None

    def __post_init__(self) -> None:
        if self.cluster is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.cluster):
            raise ValueError(f"a cluster name is letters, digits and underscores, got {self.cluster!r}")


SINGLE: Final = Target()


def local_table(qualified: str) -> str:
    """`ingate.requests` → `ingate.requests_local`: the replicated table under a Distributed one."""
    return f"{qualified}{LOCAL_SUFFIX}"


def render_statement(statement: str, target: Target) -> list[str]:
    """The statements that do on `target` what `statement` does on one server."""
    statement = statement.strip()
    if target.cluster is None:
        return [statement]
    cluster = target.cluster
    if match := _CREATE_DATABASE.match(statement):
        return [f"{statement} ON CLUSTER {cluster}"]
    if match := _CREATE_TABLE.match(statement):
        return _create_table(match, cluster)
    if match := _CREATE_VIEW.match(statement):
        select = _SOURCE.sub(lambda m: f"{m.group(1)} {local_table(m.group('table'))}", match.group("select"))
        name = f"{match.group('db')}.{match.group('name')}"
        return [
            f"CREATE MATERIALIZED VIEW {match.group('if') or ''}{name} ON CLUSTER {cluster} "
            f"TO {local_table(match.group('to'))} AS {select}"
        ]
    if match := _DROP_VIEW.match(statement):
        return [f"{statement} ON CLUSTER {cluster}"]
    if match := _ALTER_TABLE.match(statement):
        return _alter_table(match, cluster)
    raise ValueError(f"no cluster form for this statement: {' '.join(statement.split())[:200]}")


def render_statements(statements: list[str], target: Target) -> list[str]:
    return [rendered for statement in statements for rendered in render_statement(statement, target)]


def _create_table(match: re.Match[str], cluster: str) -> list[str]:
    db, name, rest = match.group("db"), match.group("name"), match.group("rest")
    engine = _ENGINE.search(rest)
    if engine is None:
        raise ValueError(f"{db}.{name}: only MergeTree-family tables have a cluster form")
    args = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"]
    if engine.group("args") and engine.group("args").strip():
        args.append(engine.group("args").strip())
    replicated = f"ENGINE = Replicated{engine.group('engine')}({', '.join(args)})"
    local_rest = rest[: engine.start()] + replicated + rest[engine.end() :]
    exists = match.group("if") or ""
    key = SHARDING_KEYS.get(name)
    distributed_args = [cluster, db, f"{name}{LOCAL_SUFFIX}"] + ([f"cityHash64({key})"] if key else [])
    return [
        f"CREATE TABLE {exists}{db}.{name}{LOCAL_SUFFIX} ON CLUSTER {cluster} {local_rest}",
        f"CREATE TABLE {exists}{db}.{name} ON CLUSTER {cluster} AS {db}.{name}{LOCAL_SUFFIX} "
        f"ENGINE = Distributed({', '.join(distributed_args)})",
    ]


def _alter_table(match: re.Match[str], cluster: str) -> list[str]:
    table = f"{match.group('db')}.{match.group('name')}"
    rest = match.group("rest").strip()
    local = f"ALTER TABLE {local_table(table)} ON CLUSTER {cluster} {rest}"
    parts = _ALTER_PARTS.split(rest)
    columns_only = all(_COLUMN_ALTER.match(part.strip()) for part in parts)
    if columns_only:
        return [local, f"ALTER TABLE {table} ON CLUSTER {cluster} {rest}"]
    if any(_COLUMN_ALTER.match(part.strip()) for part in parts):
        raise ValueError(f"{table}: split column changes and other changes into separate ALTERs")
    return [local]
