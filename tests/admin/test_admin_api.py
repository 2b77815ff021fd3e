"""The admin API served by a real `ingate admin` process on a real nats-server."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingate_nats import NatsServer
from tests.support.processes import Service, clean_env, free_port, run_cli


@pytest.fixture(scope="module")
def admin_env(nats_server: NatsServer) -> dict[str, str]:
    return clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(free_port()))


@pytest.fixture(scope="module")
def admin_url(admin_env: dict[str, str], logs_dir: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{admin_env['INGATE_ADMIN_PORT']}/admin/v1"
    service = Service("admin", [sys.executable, "-m", "ingate_cli", "admin"], admin_env, logs_dir)
    service.wait_http(f"{url}/openapi.json", timeout_s=60.0)
    yield url
    service.stop()


def _token(admin_env: dict[str, str], name: str) -> str:
    done = run_cli("admin-tokens", "create", "--name", name, "--json", env=admin_env)
    assert done.returncode == 0, done.stderr
    token: str = json.loads(done.stdout)["token"]
    return token


def test_a_call_without_a_token_is_refused(admin_url: str) -> None:
    answer = httpx.get(f"{admin_url}/keys", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "authentication_error"


def test_keys_create_update_revoke(admin_url: str, admin_env: dict[str, str]) -> None:
    auth = {"authorization": f"Bearer {_token(admin_env, 'keys-test')}"}
    created = httpx.post(f"{admin_url}/keys", json={"name": "a", "rpm": 5}, headers=auth, timeout=30)
    assert created.status_code == 201, created.text
    key_id = created.json()["id"]
    assert created.json()["key"].startswith("sk-ingate-")
    unknown = httpx.patch(f"{admin_url}/keys/{key_id}", json={"bogus": 1}, headers=auth, timeout=30)
    assert unknown.status_code == 400
    assert "bogus" in unknown.json()["error"]["message"]
    updated = httpx.patch(f"{admin_url}/keys/{key_id}", json={"tpm": 9}, headers=auth, timeout=30)
    assert updated.json()["tpm"] == 9
    assert "key" not in updated.json()
    revoked = httpx.delete(f"{admin_url}/keys/{key_id}", headers=auth, timeout=30)
    assert revoked.json()["status"] == "revoked"
    assert httpx.get(f"{admin_url}/keys/nope", headers=auth, timeout=30).status_code == 404


def test_a_revoked_token_stops_working(admin_url: str, admin_env: dict[str, str]) -> None:
    auth = {"authorization": f"Bearer {_token(admin_env, 'revoke-test')}"}
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 200
    assert run_cli("admin-tokens", "revoke", "revoke-test", env=admin_env).returncode == 0
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[" * 100_000 + b"]" * 100_000, 400), (b"x" * (2 * 1024 * 1024), 413)],
)
def test_hostile_bodies_get_a_clear_error(
    admin_url: str, admin_env: dict[str, str], body: bytes, status: int
) -> None:
    auth = {"authorization": f"Bearer {_token(admin_env, f'body-{status}-{len(body)}')}"}
    answer = httpx.post(f"{admin_url}/keys", content=body, headers=auth, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 200


def test_an_ingate_key_is_not_an_admin_token(admin_url: str, admin_env: dict[str, str]) -> None:
    auth = {"authorization": f"Bearer {_token(admin_env, 'key-as-token')}"}
    key = httpx.post(f"{admin_url}/keys", json={"name": "k"}, headers=auth, timeout=30).json()["key"]
    answer = httpx.get(f"{admin_url}/keys", headers={"authorization": f"Bearer {key}"}, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "authentication_error"
