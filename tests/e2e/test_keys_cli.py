"""`ingate keys create|list|revoke`, as an operator or a script uses them."""

import json

import httpx

from tests.conftest import Edge
from tests.support.processes import clean_env, free_port, run_cli


def test_create_prints_only_the_key_on_stdout(edge: Edge) -> None:
    code, out, err = edge.cli("keys", "create", "--name", "ci", "--user", "alice")
    assert code == 0
    assert out.count("\n") == 1
    key = out.strip()
    assert key.startswith("sk-ingate-") and len(key) > 30
    assert "not shown again" in err and key not in err


def test_create_json_for_scripts(edge: Edge) -> None:
    code, out, _ = edge.cli("keys", "create", "--json", "--name", "script", "--user", "bob")
    assert code == 0
    created = json.loads(out)
    assert created["key"].startswith("sk-ingate-")
    assert created["key_id"].startswith("key_")
    assert (created["name"], created["user_id"], created["status"]) == ("script", "bob", "active")


def test_list_never_shows_a_key(edge: Edge) -> None:
    key = edge.new_key("--name", "listed")
    code, out, _ = edge.cli("keys", "list")
    assert code == 0
    assert key not in out
    assert "listed" in out and "KEY ID" in out
    code, out, _ = edge.cli("keys", "list", "--json")
    records = json.loads(out)
    assert any(r["name"] == "listed" for r in records)
    assert key not in out
    assert all("key" not in r for r in records)


def test_revoke_by_id_and_by_key(edge: Edge) -> None:
    for use_id in (True, False):
        code, out, _ = edge.cli("keys", "create", "--json")
        created = json.loads(out)
        target = created["key_id"] if use_id else created["key"]
        code, out, _ = edge.cli("keys", "revoke", target)
        assert code == 0
        assert out.strip() == f"revoked {created['key_id']}"
        response = httpx.get(f"{edge.url}/v1/models", headers={"Authorization": f"Bearer {created['key']}"})
        assert response.status_code == 401


def test_revoke_unknown_key_fails_clearly(edge: Edge) -> None:
    code, _, err = edge.cli("keys", "revoke", "key_000000000000")
    assert code == 1
    assert err.startswith("ingate: no key matches")
    code, _, err = edge.cli("keys", "revoke", "something-else")
    assert code == 1
    assert "neither an Ingate key nor a key id" in err


def test_hostile_labels_are_refused(edge: Edge) -> None:
    code, _, err = edge.cli("keys", "create", "--name", "x" * 1000)
    assert code == 2  # a bad argument, as argparse exits for one
    assert "--name must be at most 256" in err


def test_unreachable_nats_is_one_clear_line() -> None:
    done = run_cli("keys", "list", env=clean_env(INGATE_NATS_URL=f"nats://127.0.0.1:{free_port()}"))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("ingate: cannot reach NATS at nats://127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_bad_config_fails_at_start_naming_the_setting() -> None:
    done = run_cli("keys", "list", env=clean_env(INGATE_EDGE_PORT="not-a-port"))
    assert done.returncode == 2
    assert done.stderr.strip() == "ingate: invalid setting INGATE_EDGE_PORT: expected int, got 'not-a-port'"
