"""The dashboards as loaded, the rows seeded for their queries, and running a panel's SQL on them."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client as ClickHouseClient

from tests.analytics.support import is_error
from tests.dashboards.grafana_sql import QueryContext, render

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))
PREFIX = "dashtest-"
USER_A, USER_B = f"{PREFIX}user-a", f"{PREFIX}user-b"
SESSIONS = {f"{PREFIX}session-1": USER_A, f"{PREFIX}session-2": USER_A, f"{PREFIX}session-3": USER_B}
MODELS = {"openai": ("gpt-4o", "gpt-4o-mini"), "anthropic": ("claude-sonnet-4", "claude-haiku-4")}
NOW = datetime.now(UTC).replace(microsecond=0)
CTX = QueryContext(time_from=NOW - timedelta(hours=6), time_to=NOW + timedelta(minutes=5), interval_s=60)
# The request the Request dashboard shows: routed, failed over twice, its payload captured.
REQUEST_ID = f"{PREFIX}req-01"
VALUES = {"user": USER_A, "session": f"{PREFIX}session-1", "request_id": REQUEST_ID}


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


DASHBOARDS = {path.stem: load(path) for path in DASHBOARD_FILES}


def panels_of(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # the panels of a collapsed row


# Failures that start as a 200 stream, all in session-1: a provider stream that broke off (502),
# the same as recorded before it was recorded as 502, and a client that left mid-stream (499).
STREAM_FAILURES = {
    0: (502, "upstream_stream_broken"),
    9: (200, "upstream_stream_broken"),
    12: (499, "client_disconnected"),
}


ROUTES = ("", f"{PREFIX}route-fast", f"{PREFIX}route-smart")


def routing(i: int, route: str, error: str) -> tuple[int, list[str]]:
    """Attempts and failed attempts' error types: a rate-limited request made none, some routed
    ones failed over (and most of those then succeeded), an unreachable upstream failed its last."""
    if error == "rate_limited":
        return 0, []
    attempts, failed = 1, []
    if route and i % 5 == 1:
        attempts, failed = 3, ["upstream_unreachable", "upstream_500"]
    elif route and i % 5 == 4:
        attempts, failed = 2, ["upstream_429"]
    if error == "upstream_unreachable":
        failed.append(error)
    return attempts, failed


def targets(i: int, route: str, provider: str, model: str, attempts: int) -> list[str]:
    """Each attempt's target, the last the one recorded as provider/model; none for a request that
    named its provider directly (its one attempt is provider/model), as the edge records them."""
    if not route or not attempts:
        return []
    return [f"{PREFIX}fallback-{n}/m-{i}" for n in range(attempts - 1)] + [f"{provider}/{model}"]


def seed_rows() -> list[tuple[Any, ...]]:
    rows = []
    for i in range(36):
        session = list(SESSIONS)[i % 3]
        provider = ("openai", "anthropic")[i % 2]
        status, error = STREAM_FAILURES.get(i, (200, ""))
        if i % 7 == 3:
            status, error = 429, "rate_limited"
        elif i % 11 == 5:
            status, error = 502, "upstream_unreachable"
        ok = not is_error(status, error)
        input_tokens, output_tokens = (100 + 10 * i, 20 + i) if ok else (0, 0)
        route = ROUTES[i % 3]
        model = MODELS[provider][(i // 2) % 2]
        attempts, failed = routing(i, route, error)
        # Every kind in some rows: cache reads and writes are part of the input, reasoning of the output.
        cache_read, cache_write = (input_tokens // 2, input_tokens // 4) if i % 3 else (0, 0)
        reasoning = output_tokens // 2 if i % 4 == 2 else 0
        rows.append((
            NOW - timedelta(minutes=5 * (36 - i)), f"{PREFIX}req-{i:02d}", f"{PREFIX}key", SESSIONS[session],
            session, provider, model,
            "/v1/chat/completions" if provider == "openai" else "/v1/messages",
            status, i % 4 == 1, i % 5 == 2, input_tokens, output_tokens,
            (2 * input_tokens + 8 * output_tokens) / 1e6, 200.0 + 15 * i, 50.0 + i, error,
            route, attempts, failed,
            cache_read, cache_write, cache_write // 2 if i % 2 else 0, reasoning, i % 9 == 4,
            targets(i, route, provider, model, attempts),
            ok and i % 6 == 1, 0.0125 * i if ok and i % 6 == 1 else 0.0,  # cache hits, and what they saved
        ))  # fmt: skip
    return rows


SEED_COLUMNS = [
    "ts", "request_id", "key_id", "user_id", "session_id", "provider", "model", "endpoint", "status",
    "stream", "translated", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "ttfb_ms",
    "error_type", "route", "attempts", "attempt_errors",
    "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "usage_estimated",
    "attempt_targets", "cache_hit", "cost_saved_usd",
]  # fmt: skip

PAYLOAD_COLUMNS = ["ts", "request_id", "request_body", "response_body", "truncated", "redacted"]
PAYLOAD_ROW = (
    NOW - timedelta(minutes=5 * 35), REQUEST_ID, '{"model": "gpt-4o", "messages": []}',
    '{"choices": [{"message": {"content": "[REDACTED]"}}]}', False, True,
)  # fmt: skip


def run(client: ClickHouseClient, sql: str, values: dict[str, str] | None = None) -> Any:
    return client.query(render(sql, VALUES if values is None else values, CTX))


def panel_sql(dashboard_uid: str, title: str) -> str:
    dashboard = next(d for d in DASHBOARDS.values() if d["uid"] == dashboard_uid)
    panel = next(p for p in panels_of(dashboard) if p["title"] == title)
    return str(panel["targets"][0]["rawSql"])
