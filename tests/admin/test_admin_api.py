"""The admin API served by a real `ingate admin` process on a real nats-server."""

import datetime as dt
from collections.abc import Callable

import httpx
import pytest

from tests.support.processes import run_cli


def test_a_call_without_a_token_is_refused(admin_url: str) -> None:
    answer = httpx.get(f"{admin_url}/keys", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "authentication_error"


def test_keys_create_update_revoke(admin_url: str, new_token: Callable[[str], str]) -> None:
    auth = {"authorization": f"Bearer {new_token('keys-test')}"}
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


def test_a_revoked_token_stops_working(
    admin_url: str, admin_env: dict[str, str], new_token: Callable[[str], str]
) -> None:
    auth = {"authorization": f"Bearer {new_token('revoke-test')}"}
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 200
    assert run_cli("admin-tokens", "revoke", "revoke-test", env=admin_env).returncode == 0
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[" * 100_000 + b"]" * 100_000, 400), (b"x" * (2 * 1024 * 1024), 413)],
)
def test_hostile_bodies_get_a_clear_error(
    admin_url: str, new_token: Callable[[str], str], body: bytes, status: int
) -> None:
    auth = {"authorization": f"Bearer {new_token(f'body-{status}-{len(body)}')}"}
    answer = httpx.post(f"{admin_url}/keys", content=body, headers=auth, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]
    assert httpx.get(f"{admin_url}/keys", headers=auth, timeout=30).status_code == 200


def test_an_ingate_key_is_not_an_admin_token(admin_url: str, new_token: Callable[[str], str]) -> None:
    auth = {"authorization": f"Bearer {new_token('key-as-token')}"}
    key = httpx.post(f"{admin_url}/keys", json={"name": "k"}, headers=auth, timeout=30).json()["key"]
    answer = httpx.get(f"{admin_url}/keys", headers={"authorization": f"Bearer {key}"}, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "authentication_error"


def test_expires_takes_what_the_cli_takes(admin_url: str, new_token: Callable[[str], str]) -> None:
    auth = {"authorization": f"Bearer {new_token('expires-test')}"}
    before = dt.datetime.now(dt.UTC)
    created = httpx.post(f"{admin_url}/keys", json={"name": "e", "expires": "30d"}, headers=auth, timeout=30)
    assert created.status_code == 201, created.text
    expires_at = dt.datetime.fromisoformat(created.json()["expires_at"])
    assert dt.timedelta(days=30) - dt.timedelta(seconds=1) <= expires_at - before <= dt.timedelta(days=31)
    key_id = created.json()["id"]
    for given, stored in [
        ("2030-12-31", "2030-12-31T00:00:00+00:00"),  # a date: midnight UTC
        ("2030-12-31T18:00+02:00", "2030-12-31T16:00:00+00:00"),  # a zoned time, stored in UTC
        (None, None),  # null removes the expiry
    ]:
        patched = httpx.patch(f"{admin_url}/keys/{key_id}", json={"expires": given}, headers=auth, timeout=30)
        assert patched.status_code == 200, patched.text
        assert patched.json()["expires_at"] == stored
    for bad in ["soon", "30x", "2001-01-01", 42]:
        refused = httpx.patch(f"{admin_url}/keys/{key_id}", json={"expires": bad}, headers=auth, timeout=30)
        assert refused.status_code == 400, (bad, refused.text)
        message = refused.json()["error"]["message"]
        assert "expires" in message and "expires_at" not in message, message


def test_cache_ttl_is_a_key_field(admin_url: str, new_token: Callable[[str], str]) -> None:
    auth = {"authorization": f"Bearer {new_token('cache-ttl-test')}"}
    created = httpx.post(f"{admin_url}/keys", json={"name": "c", "cache_ttl": 600}, headers=auth, timeout=30)
    assert created.status_code == 201, created.text
    assert created.json()["cache_ttl"] == 600
    key_id = created.json()["id"]
    cleared = httpx.patch(f"{admin_url}/keys/{key_id}", json={"cache_ttl": None}, headers=auth, timeout=30)
    assert cleared.json()["cache_ttl"] is None
    for bad in [0, -1, "soon", 30 * 86400 + 1, 1.5]:
        refused = httpx.patch(f"{admin_url}/keys/{key_id}", json={"cache_ttl": bad}, headers=auth, timeout=30)
        assert refused.status_code == 400, (bad, refused.text)
        assert "cache_ttl" in refused.json()["error"]["message"]


_DOC_UIS = ["swagger", "redoc", "elements", "rapidoc", "scalar", "openapi.yaml", "openapi.yml", ""]


def test_only_the_openapi_document_is_served(admin_url: str) -> None:
    document = httpx.get(f"{admin_url}/openapi.json", timeout=30)
    assert document.status_code == 200
    assert "/admin/v1/keys" in document.json()["paths"]
    root = admin_url.removesuffix("/admin/v1")
    for page in [
        f"{root}/schema",
        *(f"{base}/{ui}" for base in (f"{root}/schema", admin_url) for ui in _DOC_UIS),
    ]:
        answer = httpx.get(page.rstrip("/"), timeout=30)
        assert answer.status_code == 404, page
        assert answer.json()["error"]["type"] == "not_found_error", page
