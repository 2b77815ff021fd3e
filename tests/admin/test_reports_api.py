"""The admin API's reports (requests, one request, audit, usage series) answered by a real analytics
process, on a nats-server of this module's own: the suite's shared one has its analytics consumer,
which a second one would split the records with."""

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from ingate_contracts import RequestRecord
from ingate_contracts.payloads import PayloadRecord
from ingate_contracts.subjects import PAYLOADS_SUBJECT, events_subject
from ingate_nats import NatsServer, connect
from tests.support.nats import running_nats
from tests.support.processes import INGATE, Service, clean_env, free_port, run_cli

DEADLINE_S = 60.0
NOW = time.time()
RECORDS = [
    RequestRecord(
        ts=NOW - 600 + 60 * i, request_id=f"req-admin-{i}", key_id="key-admin", user_id=("ann", "bob")[i % 2],
        session_id="s-1" if i < 4 else "", provider="openai", model="gpt-4o-mini", status=(200, 429)[i == 5],
        error_type="rate_limited" if i == 5 else "", input_tokens=10 * i, output_tokens=i, cost_usd=i / 1024,
        attempts=0 if i == 5 else 1, attempt_targets=[] if i == 5 else ["openai/gpt-4o-mini"],
    )
    for i in range(6)
]  # fmt: skip
PAYLOAD = PayloadRecord(
    request_id="req-admin-0", ts=RECORDS[0].ts, request_body="{}", response_body='{"ok":1}'
)


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    with running_nats(tmp_path_factory.mktemp("reports-jetstream")) as server:
        yield server


@pytest.fixture(scope="module")
def env(own_nats: NatsServer) -> dict[str, str]:
    return clean_env(INGATE_NATS_URL=own_nats.url, INGATE_ADMIN_PORT=str(free_port()))


async def _publish(nats_url: str) -> None:
    client = await connect(nats_url, "admin-reports-tests")
    js = client.jetstream()
    try:
        for record in RECORDS:
            await js.publish(
                events_subject(record.provider),
                msgspec.json.encode(record),
                headers={"Nats-Msg-Id": record.request_id},
            )
        await js.publish(
            PAYLOADS_SUBJECT,
            msgspec.json.encode(PAYLOAD),
            headers={"Nats-Msg-Id": f"payload:{PAYLOAD.request_id}"},
        )
    finally:
        await client.close()


@pytest.fixture(scope="module")
def api(
    own_nats: NatsServer, env: dict[str, str], logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """The admin API's base URL and an admin token's header, with the records published and stored."""
    analytics = Service(
        "reports-analytics",
        [*INGATE, "analytics"],
        {
            **env,
            "INGATE_DATA_DIR": str(tmp_path_factory.mktemp("reports-data")),
            "INGATE_ANALYTICS_FLUSH_INTERVAL_MS": "100",
        },
        logs_dir,
    )
    url = f"http://127.0.0.1:{env['INGATE_ADMIN_PORT']}/admin/v1"
    admin = Service("reports-admin", [sys.executable, "-m", "ingate_cli", "admin"], env, logs_dir)
    try:
        analytics.wait_log("ingate analytics consuming", timeout_s=60)
        admin.wait_http(f"{url}/openapi.json", timeout_s=60.0)
        asyncio.run(_publish(own_nats.url))
        done = run_cli("admin-tokens", "create", "--name", "reports", "--json", env=env)
        assert done.returncode == 0, done.stderr
        auth = {"authorization": f"Bearer {json.loads(done.stdout)['token']}"}
        yield url, auth
    finally:
        admin.stop()
        analytics.stop()


def _until(url: str, auth: dict[str, str], check: Any) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        answer = httpx.get(url, headers=auth, timeout=30)
        if answer.status_code == 200 and check(answer.json()):
            return answer.json()
        assert time.monotonic() < deadline, (
            f"not within {DEADLINE_S}s: {url}: {answer.status_code} {answer.text}"
        )
        time.sleep(0.2)


def test_requests_newest_first_with_filters(api: tuple[str, dict[str, str]]) -> None:
    url, auth = api
    rows = _until(f"{url}/requests?key_id=key-admin", auth, lambda rows: len(rows) == 6)
    assert [r["request_id"] for r in rows] == [f"req-admin-{i}" for i in reversed(range(6))]
    ann = httpx.get(
        f"{url}/requests", params={"user": "ann", "since": "1h", "limit": 2}, headers=auth, timeout=30
    )
    assert [r["request_id"] for r in ann.json()] == ["req-admin-4", "req-admin-2"]
    errors = httpx.get(f"{url}/requests", params={"status": "errors"}, headers=auth, timeout=30).json()
    assert [r["request_id"] for r in errors] == ["req-admin-5"]
    limited = httpx.get(
        f"{url}/requests", params={"status": "429", "session": "s-1"}, headers=auth, timeout=30
    )
    assert limited.json() == []
    bad = httpx.get(f"{url}/requests", params={"status": "nope"}, headers=auth, timeout=30)
    assert bad.status_code == 400 and "status" in bad.json()["error"]["message"]
    assert httpx.get(f"{url}/requests", params={"since": "soon"}, headers=auth, timeout=30).status_code == 400


def test_one_request_with_attempts_and_payload_or_404(api: tuple[str, dict[str, str]]) -> None:
    url, auth = api
    shown = _until(f"{url}/requests/req-admin-0", auth, lambda row: row["payload"] is not None)
    assert shown["attempts"] == [{"n": 1, "target": "openai/gpt-4o-mini", "error": ""}]
    assert shown["payload"] == {
        "request_body": "{}",
        "response_body": '{"ok":1}',
        "truncated": False,
        "redacted": False,
    }
    missing = httpx.get(f"{url}/requests/req-admin-none", headers=auth, timeout=30)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "not_found_error", "message": "no such request"}}


def test_audit_shows_an_admin_change_without_the_key(api: tuple[str, dict[str, str]]) -> None:
    url, auth = api
    created = httpx.post(f"{url}/keys", json={"name": "audited"}, headers=auth, timeout=30).json()
    rows = _until(
        f"{url}/audit?target={created['id']}",
        auth,
        lambda rows: any(r["action"] == "key.create" for r in rows),
    )
    assert rows[0]["actor"] == "admin:reports" and rows[0]["after"]["name"] == "audited"
    assert created["key"] not in json.dumps(rows)
    by_actor = httpx.get(
        f"{url}/audit", params={"changed_by": "admin:reports"}, headers=auth, timeout=30
    ).json()
    assert any(r["target"] == created["id"] for r in by_actor)
    nobody = httpx.get(f"{url}/audit", params={"changed_by": "cli:nobody"}, headers=auth, timeout=30).json()
    assert nobody == []


def test_usage_series_per_bucket(api: tuple[str, dict[str, str]]) -> None:
    url, auth = api
    _until(f"{url}/requests?key_id=key-admin", auth, lambda rows: len(rows) == 6)
    series = httpx.get(
        f"{url}/usage/series", params={"user": "ann", "since": "1h", "bucket": "1h"}, headers=auth, timeout=30
    )
    assert series.status_code == 200, series.text
    ann = [r for r in RECORDS if r.user_id == "ann"]
    assert sum(row["requests"] for row in series.json()) == len(ann)
    assert sum(row["tokens"] for row in series.json()) == sum(r.input_tokens + r.output_tokens for r in ann)
    assert {row["user_id"] for row in series.json()} == {"ann"}
    sessions = httpx.get(f"{url}/usage/series", params={"by": "session"}, headers=auth, timeout=30).json()
    assert {(row["session_id"], row["user_id"]) for row in sessions} == {("s-1", "ann"), ("s-1", "bob")}
    one_session = httpx.get(
        f"{url}/usage/series",
        params={"by": "session", "session": "s-1", "user": "bob"},
        headers=auth,
        timeout=30,
    ).json()
    assert {(row["session_id"], row["user_id"]) for row in one_session} == {("s-1", "bob")}
    too_many = httpx.get(
        f"{url}/usage/series", params={"since": "7d", "bucket": "1s"}, headers=auth, timeout=30
    )
    assert too_many.status_code == 400 and "buckets" in too_many.json()["error"]["message"]
    assert (
        httpx.get(f"{url}/usage/series", params={"by": "model"}, headers=auth, timeout=30).status_code == 400
    )


def test_usage_totals_through_the_shared_request_helper(api: tuple[str, dict[str, str]]) -> None:
    url, auth = api
    _until(f"{url}/requests?key_id=key-admin", auth, lambda rows: len(rows) == 6)
    usage = httpx.get(f"{url}/usage", params={"user": "bob", "since": "1h"}, headers=auth, timeout=30)
    assert usage.status_code == 200, usage.text
    [bob] = usage.json()["users"]
    assert (bob["user_id"], bob["requests"], bob["errors"]) == ("bob", 3, 1)
    assert httpx.get(f"{url}/usage", params={"since": "-1h"}, headers=auth, timeout=30).status_code == 400


def test_without_an_analytics_service_every_report_is_503(logs_dir: Path, tmp_path: Path) -> None:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    env = clean_env(INGATE_NATS_URL=server.url, INGATE_ADMIN_PORT=str(free_port()))
    url = f"http://127.0.0.1:{env['INGATE_ADMIN_PORT']}/admin/v1"
    admin = Service("reports-admin-alone", [sys.executable, "-m", "ingate_cli", "admin"], env, logs_dir)
    try:
        admin.wait_http(f"{url}/openapi.json", timeout_s=60.0)
        done = run_cli("admin-tokens", "create", "--name", "alone", "--json", env=env)
        assert done.returncode == 0, done.stderr
        auth = {"authorization": f"Bearer {json.loads(done.stdout)['token']}"}
        for path in ("requests", "requests/req-x", "audit", "usage", "usage/series"):
            answer = httpx.get(f"{url}/{path}", headers=auth, timeout=30)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error"] == {
                "type": "analytics_unavailable",
                "message": "no analytics service is running",
            }
    finally:
        admin.stop()
        server.stop()
