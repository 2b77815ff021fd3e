"""INGATE_CLICKHOUSE_CLUSTER: read from the environment or the file, checked, and handed to the
migrations by both `ingate migrate` and the analytics service."""

import argparse
from pathlib import Path
from typing import Any

import pytest

import ingate_analytics.database
import ingate_analytics.migrations
from ingate_analytics import service
from ingate_analytics.migrations import apply_migrations
from ingate_cli import migrate
from ingate_config import ConfigError, Settings, load_settings

SERVER = "http://ingate:pw@clickhouse:8123"


def test_unset_means_one_server() -> None:
    assert load_settings(environ={}).clickhouse_cluster is None


def test_from_the_environment_or_the_file(tmp_path: Path) -> None:
    settings = load_settings(environ={"CLICKHOUSE_URL": SERVER, "INGATE_CLICKHOUSE_CLUSTER": "ingate"})
    assert settings.clickhouse_cluster == "ingate"
    config = tmp_path / "ingate.yaml"
    config.write_text(f"clickhouse_url: {SERVER}\nclickhouse_cluster: from_file\n")
    assert load_settings(str(config), environ={}).clickhouse_cluster == "from_file"
    environ = {"INGATE_CLICKHOUSE_CLUSTER": "from_env"}
    assert load_settings(str(config), environ=environ).clickhouse_cluster == "from_env"


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"CLICKHOUSE_URL": SERVER, "INGATE_CLICKHOUSE_CLUSTER": "in gate"}, "letters, digits"),
        ({"CLICKHOUSE_URL": SERVER, "INGATE_CLICKHOUSE_CLUSTER": "x;DROP"}, "letters, digits"),
        ({"INGATE_CLICKHOUSE_CLUSTER": "ingate"}, "needs CLICKHOUSE_URL"),
    ],
)
def test_a_bad_cluster_setting_fails_at_start(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert caught.value.setting == "clickhouse_cluster"
    assert problem in caught.value.problem


class RecordingClient:
    """Stands in for a ClickHouse server of a cluster: takes every statement, holds nothing but
    (when given) the engine of an ingate.schema_migrations made before."""

    def __init__(self, bookkeeping_engine: str | None = None) -> None:
        self.commands: list[str] = []
        self.bookkeeping_engine = bookkeeping_engine

    def command(self, statement: str) -> None:
        self.commands.append(statement)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        if "name = 'schema_migrations'" in sql and self.bookkeeping_engine:
            return argparse.Namespace(result_rows=[(self.bookkeeping_engine,)])
        return argparse.Namespace(result_rows=[])

    def insert(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def test_apply_migrations_on_a_cluster_runs_every_statement_on_the_cluster() -> None:
    client = RecordingClient()
    applied = apply_migrations(client, cluster="ingate")  # type: ignore[arg-type]
    assert applied and client.commands
    schema = [c for c in client.commands if not c.startswith("SYSTEM SYNC REPLICA")]
    assert all(" ON CLUSTER ingate " in f"{c} " for c in schema), client.commands
    assert any("ReplicatedReplacingMergeTree" in c and "requests_local" in c for c in client.commands)


def test_a_cluster_is_never_made_over_a_one_server_schema() -> None:
    client = RecordingClient(bookkeeping_engine="ReplacingMergeTree")
    with pytest.raises(ValueError, match="one-server schema"):
        apply_migrations(client, cluster="ingate")  # type: ignore[arg-type]
    assert client.commands == []
    again = RecordingClient(bookkeeping_engine="ReplicatedReplacingMergeTree")
    apply_migrations(again, cluster="ingate")  # type: ignore[arg-type]
    assert again.commands


def _capture(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_apply(client: Any, directory: Any = None, **kwargs: Any) -> list[int]:
        seen.update(kwargs)
        return []

    monkeypatch.setattr(ingate_analytics.migrations, "apply_migrations", fake_apply)
    monkeypatch.setattr(service, "apply_migrations", fake_apply)
    monkeypatch.setattr(ingate_analytics.database, "open_database", lambda _: RecordingClient())
    monkeypatch.setattr(service, "open_database", lambda _: RecordingClient())
    return seen


def _cluster_settings() -> Settings:
    return load_settings(environ={"CLICKHOUSE_URL": SERVER, "INGATE_CLICKHOUSE_CLUSTER": "ingate"})


def test_ingate_migrate_makes_the_schema_on_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture(monkeypatch)
    assert migrate.run(argparse.Namespace(wait=0.0), _cluster_settings()) == 0
    assert seen["cluster"] == "ingate"


async def test_the_analytics_service_makes_the_schema_on_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture(monkeypatch)
    sink = await service.open_sink(_cluster_settings())
    await sink.close()
    assert seen["cluster"] == "ingate"
