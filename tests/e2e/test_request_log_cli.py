"""`ingate requests show|list` and `ingate audit` against the suite's edge and analytics processes:
a request through the edge is found by id and in lists, a captured payload is shown, `keys create`
is in the audit trail without its key."""

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import nats

from ingate_cli.invocation import is_it_running
from ingate_contracts.payloads import PayloadRecord
from ingate_contracts.subjects import PAYLOADS_SUBJECT
from ingate_nats import NatsServer
from tests.conftest import Edge
from tests.support.processes import Service, clean_env, free_port, run_cli

DEADLINE_S = 60.0  # the analytics service flushes every 100 ms; a busy machine may take far longer


def until(check: Callable[[], Any], what: str) -> Any:
    """`check()`'s first truthy value, asked again until DEADLINE_S has passed."""
    deadline = time.monotonic() + DEADLINE_S
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {DEADLINE_S}s: {what}"
        time.sleep(0.2)
    return found


def _request(edge: Edge, key: str, session: str) -> str:
    answer = httpx.post(
        f"{edge.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-ingate-session-id": session},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello log"}]},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["x-ingate-request-id"]


def _shown(edge: Edge, request_id: str) -> dict[str, Any] | None:
    code, out, _ = edge.cli("requests", "show", request_id, "--json")
    return json.loads(out) if code == 0 else None


async def _publish_payload(nats_url: str, payload: PayloadRecord) -> None:
    client = await nats.connect(nats_url)
    try:
        await client.jetstream().publish(
            PAYLOADS_SUBJECT,
            msgspec.json.encode(payload),
            headers={"Nats-Msg-Id": f"payload:{payload.request_id}"},
        )
    finally:
        await client.close()


async def test_show_and_list_a_request_made_through_the_edge(edge: Edge, analytics: Service) -> None:
    del analytics  # running: it stores the records and answers the lookups
    user, session = f"log-user-{uuid.uuid4().hex[:8]}", f"log-session-{uuid.uuid4().hex[:8]}"
    key = edge.new_key("--name", "request-log", "--user", user)
    first, second = _request(edge, key, session), _request(edge, key, session)

    record = until(lambda: _shown(edge, first), f"ingate requests show {first}")
    assert (record["request_id"], record["user_id"], record["session_id"], record["status"]) == (
        first, user, session, 200,
    )  # fmt: skip
    assert record["model"] == "gpt-4o-mini" and record["error_type"] == ""
    assert record["attempts"] == [{"n": 1, "target": f"{record['provider']}/gpt-4o-mini", "error": ""}]
    assert record["payload"] is None  # the key does not log payloads

    await _publish_payload(
        edge.nats_url,
        PayloadRecord(
            request_id=first,
            ts=time.time(),
            request_body='{"messages":[{"content":"hello log","role":"user"}]}',
            response_body='{"choices":[]}',
            truncated=True,
        ),
    )
    with_payload = until(
        lambda: (shown := _shown(edge, first)) and shown["payload"] and shown, "the payload shown"
    )
    assert with_payload["payload"]["request_body"].startswith('{"messages"')
    assert with_payload["payload"]["truncated"] is True
    code, human, _ = edge.cli("requests", "show", first)
    assert code == 0
    assert first in human and "Attempts (1)" in human and "Payload (truncated)" in human
    assert '"content": "hello log"' in human  # the body pretty-printed

    def listed() -> list[dict[str, Any]] | None:
        code, out, err = edge.cli("requests", "list", "--user", user, "--since", "1h", "--json")
        assert code == 0, err
        rows: list[dict[str, Any]] = json.loads(out)
        return rows if len(rows) == 2 else None

    rows = until(listed, f"both requests of {user} listed")
    assert [r["request_id"] for r in rows] == [second, first]  # newest first
    assert "payload" not in rows[0] and rows[0]["user_id"] == user
    code, out, _ = edge.cli("requests", "list", "--session", session, "--limit", "1", "--json")
    assert code == 0 and [r["request_id"] for r in json.loads(out)] == [second]
    code, out, _ = edge.cli("requests", "list", "--user", user, "--status", "errors", "--json")
    assert code == 0 and json.loads(out) == []
    code, table, _ = edge.cli("requests", "list", "--user", user)
    assert code == 0 and table.splitlines()[0].split()[:3] == ["TIME", "REQUEST", "ID"]
    assert first in table and second in table


def test_an_unknown_request_says_so_and_exits_1(edge: Edge, analytics: Service) -> None:
    del analytics
    code, out, err = edge.cli("requests", "show", "req_never_made")
    assert (code, out) == (1, "")
    assert err == "ingate: no such request: req_never_made\n"
    code, _, err = edge.cli("requests", "list", "--status", "teapot")
    assert code == 1 and err.startswith("ingate: the analytics service refused: bad requests query: status")


def test_keys_create_is_in_the_audit_trail_without_its_key(edge: Edge, analytics: Service) -> None:
    del analytics
    code, out, err = edge.cli("keys", "create", "--json", "--name", f"audited-{uuid.uuid4().hex[:6]}")
    assert code == 0, err
    created = json.loads(out)

    def audited() -> dict[str, Any] | None:
        code, out, err = edge.cli("audit", "--json")
        assert code == 0, err
        assert created["key"] not in out
        rows = [r for r in json.loads(out) if r["target"] == created["key_id"]]
        return rows[0] if rows else None

    row = until(audited, f"the audit row of {created['key_id']}")
    assert row["action"] == "key.create" and row["actor"].startswith("cli:")
    assert row["before"] is None and row["after"]["name"] == created["name"]
    assert not {"key", "key_hash"} & set(row["after"])
    code, out, _ = edge.cli("audit", "--target", created["key_id"], "--actor", row["actor"], "--json")
    assert code == 0 and [r["audit_id"] for r in json.loads(out)] == [row["audit_id"]]
    code, out, _ = edge.cli("audit", "--target", created["key_id"], "--actor", "cli:somebody-else", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = edge.cli("audit", "--limit", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    code, table, _ = edge.cli("audit", "--since", "1h", "--target", created["key_id"])
    assert code == 0 and table.splitlines()[0].split() == ["TIME", "ACTOR", "ACTION", "TARGET", "CHANGE"]
    assert "key.create" in table and "created" in table and created["key"] not in table


def test_with_no_analytics_service_the_commands_say_so_in_one_line(tmp_path: Path) -> None:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    try:
        env = clean_env(INGATE_NATS_URL=server.url)
        done = [
            run_cli(*args, env=env) for args in (("requests", "show", "x"), ("requests", "list"), ("audit",))
        ]
    finally:
        server.stop()
    for command in done:
        assert (command.returncode, command.stdout) == (1, "")
        assert command.stderr == (
            f"ingate: no analytics service answered on NATS at {server.url} ({is_it_running()})\n"
        )
