"""Grafana dashboards and provisioning: every query runs on the real schema, and the JSON holds together.

Each panel's and each variable's SQL is rendered as Grafana and the ClickHouse plugin would send it
(variables, then the plugin's macros), run against seeded rows, and its columns checked.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from clickhouse_connect.driver.client import Client as ClickHouseClient

from tests.dashboards.grafana_sql import render, variable_names
from tests.dashboards.seed import (
    CTX,
    DASHBOARDS,
    GRAFANA,
    SEED_COLUMNS,
    SESSIONS,
    USER_A,
    USER_B,
    VALUES,
    panel_sql,
    panels_of,
    run,
    seed_rows,
)

DS = {"type": "grafana-clickhouse-datasource", "uid": "ingate-clickhouse"}
PANEL_TYPES = {"stat", "timeseries", "table", "piechart", "barchart", "bargauge"}

# Table-format panels (stats, pies, tables): their columns, in order, as name:kind.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "ingate-overview": {
        "Requests": "requests:num",
        "Avg requests/s": "requests_per_s:num",
        "Error rate": "error_rate:num",
        "p95 latency": "p95_latency_ms:num",
        "Tokens": "tokens:num",
        "Cost": "cost_usd:num",
        "Stream vs non-stream": "mode:str requests:num",
        "Translated share": "mode:str requests:num",
        "Usage by model": "provider:str model:str requests:num errors:num input_tokens:num "
        "output_tokens:num cost_usd:num p95_latency_ms:num",
        "Top users by cost": "user_id:str requests:num errors:num tokens:num cost_usd:num",
        "Errors": "error_type:str status:num provider:str requests:num last_seen:time",
        "Failed attempts by route": "route:str attempt_error:str failed_attempts:num requests:num "
        "recovered:num last_seen:time",
        "Token kinds by model": "provider:str model:str input_tokens:num cache_read_tokens:num "
        "cache_write_tokens:num cache_write_1h_tokens:num output_tokens:num reasoning_tokens:num "
        "estimated_requests:num",
        "Cache hit rate": "hit_rate:num",
        "Saved by the cache": "saved_usd:num",
    },
    "ingate-per-user": {
        "Requests": "requests:num",
        "Error rate": "error_rate:num",
        "Tokens": "input_tokens:num output_tokens:num",
        "Cost": "cost_usd:num",
        "Latency p50 / p95": "p50_latency_ms:num p95_latency_ms:num",
        "Active sessions": "sessions:num",
        "By model": "provider:str model:str requests:num errors:num input_tokens:num output_tokens:num "
        "cost_usd:num p50_latency_ms:num p95_latency_ms:num",
        "Sessions": "session_id:str first_seen_at:time last_seen_at:time requests:num errors:num "
        "input_tokens:num output_tokens:num cost_usd:num",
    },
    "ingate-per-session": {
        "Requests": "requests:num",
        "Errors": "errors:num",
        "Tokens": "input_tokens:num output_tokens:num",
        "Cost": "cost_usd:num",
        "Duration": "duration_s:num",
        "Latency p50 / p95": "p50_latency_ms:num p95_latency_ms:num",
        "Requests in order": "ts:time request_id:str provider:str model:str endpoint:str status:num "
        "stream:bool translated:bool input_tokens:num cache_read_tokens:num cache_write_tokens:num "
        "output_tokens:num reasoning_tokens:num usage_estimated:bool cost_usd:num latency_ms:num "
        "ttfb_ms:num error_type:str",
        "By model": "provider:str model:str requests:num errors:num input_tokens:num output_tokens:num "
        "cost_usd:num",
        "Whole session": "first_seen_at:time last_seen_at:time requests:num errors:num input_tokens:num "
        "output_tokens:num cost_usd:num",
    },
    "ingate-request": {
        "Record": "ts:time request_id:str key_id:str user_id:str session_id:str provider:str model:str "
        "endpoint:str route:str status:num error_type:str stream:bool translated:bool",
        "Tokens, cost and timing": "input_tokens:num cache_read_tokens:num cache_write_tokens:num "
        "output_tokens:num reasoning_tokens:num usage_estimated:bool cost_usd:num price_known:bool "
        "latency_ms:num ttfb_ms:num upstream_ms:num request_bytes:num response_bytes:num",
        "Attempts": "n:num target:str error:str",
        "Payload": "request_body:str response_body:str truncated:bool redacted:bool",
    },
}


def query_variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in dashboard["templating"]["list"] if v["type"] == "query"]


def variable_sql(variable: dict[str, Any]) -> str:
    query = variable["query"]
    return str(query["rawSql"] if isinstance(query, dict) else query)


@dataclass(frozen=True)
class Query:
    dashboard: str  # uid
    panel: dict[str, Any] | None  # None for a template variable's query
    title: str
    sql: str
    format: int  # 0 time series, 1 table


def all_queries() -> list[Any]:
    params = []
    for stem, dashboard in DASHBOARDS.items():
        for panel in panels_of(dashboard):
            for target in panel.get("targets", []):
                query = Query(dashboard["uid"], panel, panel["title"], target["rawSql"], target["format"])
                params.append(
                    pytest.param(query, id=f"{stem}:{panel['id']}:{panel['title']}:{target['refId']}")
                )
        for variable in query_variables(dashboard):
            query = Query(dashboard["uid"], None, variable["name"], variable_sql(variable), 1)
            params.append(pytest.param(query, id=f"{stem}:variable:{variable['name']}"))
    return params


def kind(type_name: str) -> str:
    """A ClickHouse column type as Grafana sees it: time, num, str or bool (anything else verbatim)."""
    inner = type_name
    while (wrapper := re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", inner)) is not None:
        inner = wrapper.group(1)
    if inner.startswith("DateTime"):
        return "time"
    if inner == "Bool":
        return "bool"
    if re.fullmatch(r"U?Int\d+|Float\d+|Decimal.*", inner):
        return "num"
    if inner.startswith(("String", "FixedString")):
        return "str"
    return inner


# ---- every query runs and returns what its panel expects ----


@pytest.mark.parametrize("query", all_queries())
def test_query_runs_on_the_real_schema(seeded: ClickHouseClient, query: Query) -> None:
    result = run(seeded, query.sql)
    assert result.result_rows, f"no rows for {query.title!r}: {render(query.sql, VALUES, CTX)}"
    kinds = [kind(t.name) for t in result.column_types]
    found = dict(zip(result.column_names, kinds, strict=True))
    if query.panel is None:
        assert kinds[0] == "str", f"variable {query.title!r} must list strings, got {found}"
    elif query.format == 0:
        assert kinds[0] == "time", f"the first column must be the time, got {found}"
        assert set(kinds[1:]) <= {"num", "str"} and "num" in kinds, f"values must be numeric: {found}"
        label = query.panel["fieldConfig"]["defaults"].get("displayName", "")
        for name in re.findall(r"__field\.labels\.(\w+)", label):
            assert found.get(name) == "str", f"display name uses label {name!r}, not a string column"
    else:
        declared = TABLE_COLUMNS[query.dashboard][query.title]
        assert [f"{n}:{k}" for n, k in found.items()] == declared.split(), f"columns {found}"


def test_variable_options_come_from_the_data(seeded: ClickHouseClient) -> None:
    per_session = DASHBOARDS["per-session"]
    by_name = {v["name"]: variable_sql(v) for v in query_variables(per_session)}
    users = {row[0] for row in run(seeded, by_name["user"]).result_rows}
    assert {USER_A, USER_B} <= users
    for user in (USER_A, USER_B):
        sessions = {row[0] for row in run(seeded, by_name["session"], {"user": user}).result_rows}
        assert sessions == {s for s, owner in SESSIONS.items() if owner == user}


def test_session_requests_are_listed_in_time_order(seeded: ClickHouseClient) -> None:
    result = run(seeded, panel_sql("ingate-per-session", "Requests in order"))
    expected = [row[1] for row in seed_rows() if row[4] == VALUES["session"]]
    assert [row[1] for row in result.result_rows] == expected


def test_rollup_panels_agree_with_the_exact_rows(seeded: ClickHouseClient) -> None:
    mine = [row for row in seed_rows() if row[3] == USER_A]
    cost = run(seeded, panel_sql("ingate-per-user", "Cost")).result_rows[0][0]
    assert cost == pytest.approx(sum(row[13] for row in mine))
    requests = run(seeded, panel_sql("ingate-per-user", "Requests")).result_rows[0][0]
    assert requests == len(mine)
    sessions = run(seeded, panel_sql("ingate-per-user", "Sessions")).result_rows
    assert {row[0]: row[3] for row in sessions} == {
        s: sum(1 for row in mine if row[4] == s) for s, owner in SESSIONS.items() if owner == USER_A
    }


def test_token_kind_panels_agree_with_the_exact_rows(seeded: ClickHouseClient) -> None:
    index = {name: i for i, name in enumerate(SEED_COLUMNS)}
    kinds = ("cache_read_tokens", "cache_write_tokens", "reasoning_tokens")

    def sums(rows: list[tuple[Any, ...]]) -> list[int]:
        return [sum(row[index[kind]] for row in rows) for kind in kinds]

    def panel_sums(uid: str, columns: int) -> list[int]:
        rows = run(seeded, panel_sql(uid, "Token kinds over time")).result_rows
        return [sum(row[1 + c] for row in rows) for c in range(columns)]

    everyone = seed_rows()
    assert all(sums(everyone)), "the seed must hold every kind"
    assert panel_sums("ingate-overview", 3) == sums(everyone)
    mine = [row for row in everyone if row[index["user_id"]] == USER_A]
    estimated = sum(1 for row in mine if row[index["usage_estimated"]])
    assert panel_sums("ingate-per-user", 4) == [*sums(mine), estimated]
    session = [row for row in everyone if row[index["session_id"]] == VALUES["session"]]
    assert panel_sums("ingate-per-session", 3) == sums(session)
    by_model = run(seeded, panel_sql("ingate-overview", "Token kinds by model")).result_rows
    assert sum(row[-1] for row in by_model) == sum(1 for row in everyone if row[index["usage_estimated"]])


# ---- structure ----


def strings_in(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def datasources_in(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield value
            yield from datasources_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from datasources_in(value)


def all_sql(dashboard: dict[str, Any]) -> list[str]:
    panels = [t["rawSql"] for p in panels_of(dashboard) for t in p.get("targets", [])]
    return panels + [variable_sql(v) for v in query_variables(dashboard)]


def test_the_dashboards_exist_with_unique_uids() -> None:
    assert set(DASHBOARDS) == {"overview", "per-user", "per-session", "request"}
    assert set(TABLE_COLUMNS) == {d["uid"] for d in DASHBOARDS.values()}


@pytest.mark.parametrize("stem", sorted(DASHBOARDS))
def test_dashboard_is_grafana_json(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"]) and dashboard["title"]
    assert 36 <= dashboard["schemaVersion"] <= 41 and dashboard["id"] is None
    assert {"from", "to"} <= set(dashboard["time"]) and isinstance(dashboard["templating"]["list"], list)
    panels = list(panels_of(dashboard))
    assert len({p["id"] for p in panels}) == len(panels), "panel ids must be unique"
    assert len({p["title"] for p in panels}) == len(panels), "panel titles must be unique"
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in "hwxy") and grid["h"] > 0 and grid["w"] > 0
        assert grid["x"] + grid["w"] <= 24, f"{panel['title']} is wider than the grid"
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine
        assert panel["datasource"] == DS and panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DS and target["editorType"] == "sql" and target["refId"]
            assert target["format"] == (0 if panel["type"] == "timeseries" else 1), panel["title"]
            assert isinstance(target["rawSql"], str) and target["rawSql"].strip()
        if panel["type"] != "timeseries":
            assert panel["title"] in TABLE_COLUMNS[dashboard["uid"]], (
                f"declare the columns of {panel['title']}"
            )


@pytest.mark.parametrize("stem", sorted(DASHBOARDS))
def test_every_datasource_is_ingate_clickhouse(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    for variable in query_variables(dashboard):
        assert variable["datasource"] == DS and variable.get("multi") is not True, variable["name"]
    for datasource in datasources_in(dashboard):
        # the only other one is Grafana's built-in annotation source
        assert datasource == DS or datasource.get("type") == "grafana", datasource


@pytest.mark.parametrize("stem", sorted(DASHBOARDS))
def test_every_variable_used_is_defined(stem: str) -> None:
    dashboard = DASHBOARDS[stem]
    defined = {v["name"] for v in dashboard["templating"]["list"]}
    used = set().union(*(variable_names(text) for text in strings_in(dashboard["panels"])))
    used |= set().union(*(variable_names(variable_sql(v)) for v in query_variables(dashboard)))
    assert used <= defined, f"undefined: {used - defined}"
    order = [v["name"] for v in dashboard["templating"]["list"]]
    for variable in query_variables(dashboard):
        earlier = set(order[: order.index(variable["name"])])
        assert variable_names(variable_sql(variable)) <= earlier, (
            f"{variable['name']} depends on a later variable"
        )


@pytest.mark.parametrize("stem", sorted(DASHBOARDS))
def test_queries_read_ingate_tables_and_requests_with_final(stem: str) -> None:
    for sql in all_sql(DASHBOARDS[stem]):
        assert not re.search(r"\bingate\.requests\b(?!\s+FINAL\b)", sql), (
            f"ingate.requests without FINAL: {sql}"
        )
        tables = re.findall(r"\b(?:FROM|JOIN)\s+([\w.]+)", sql, flags=re.IGNORECASE)
        assert tables and all(t.startswith("ingate.") for t in tables), sql


@pytest.mark.parametrize("stem", sorted(DASHBOARDS))
def test_links_point_at_existing_dashboards(stem: str) -> None:
    uids = {d["uid"] for d in DASHBOARDS.values()}
    for text in strings_in(DASHBOARDS[stem]["panels"]):
        for uid in re.findall(r"/d/([\w-]+)", text):
            assert uid in uids, text


# ---- provisioning ----


def test_datasource_provisioning() -> None:
    config = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "clickhouse.yaml").read_text())
    assert config["apiVersion"] == 1
    [source] = config["datasources"]
    assert (source["type"], source["uid"]) == (DS["type"], DS["uid"])
    data = source["jsonData"]
    assert data["protocol"] == "http" and data["defaultDatabase"] == "ingate"
    for key in ("host", "port", "username"):
        assert re.fullmatch(r"\$\{[A-Z_]+\}", str(data[key])), f"{key} comes from the environment"
    assert "password" not in data
    assert re.fullmatch(r"\$\{[A-Z_]+\}", source["secureJsonData"]["password"]), "never a literal secret"


def test_dashboard_provisioning_loads_the_dashboards_folder() -> None:
    config = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ingate.yaml").read_text())
    assert config["apiVersion"] == 1
    [provider] = config["providers"]
    assert provider["type"] == "file" and provider["folder"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/ingate"


def test_cache_panels_agree_with_the_exact_rows(seeded: ClickHouseClient) -> None:
    index = {name: i for i, name in enumerate(SEED_COLUMNS)}
    rows = seed_rows()
    hits = [row for row in rows if row[index["cache_hit"]]]
    saved = sum(row[index["cost_saved_usd"]] for row in hits)
    assert hits and saved, "the seed must hold cache hits"
    ((rate,),) = run(seeded, panel_sql("ingate-overview", "Cache hit rate")).result_rows
    # Of the requests the "Requests" panel counts (the suite's other tests store rows here too).
    ((requests,),) = run(seeded, panel_sql("ingate-overview", "Requests")).result_rows
    assert requests >= len(rows)
    assert rate == pytest.approx(len(hits) / requests)
    ((panel_saved,),) = run(seeded, panel_sql("ingate-overview", "Saved by the cache")).result_rows
    assert panel_saved == pytest.approx(saved)
    series = run(seeded, panel_sql("ingate-overview", "Cache hits and money saved")).result_rows
    assert sum(row[1] for row in series) == len(hits)
    assert sum(row[2] for row in series) == pytest.approx(saved)
