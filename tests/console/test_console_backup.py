"""Keys backup in the console: Export downloads the file `ingate keys export` writes, Import puts
such a file back through the same store, a bad file changes nothing, and both are forms a page of
the console's own must send."""

import json

import httpx
import pytest

from tests.console.conftest import page_csrf, signed_in_client
from tests.support.admin import admin_token


def _api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{url}/admin/v1", headers={"authorization": f"Bearer {token}"}, timeout=30)


def _import(client: httpx.Client, content: bytes, replace: bool = False) -> httpx.Response:
    csrf = page_csrf(client.get("/keys/import").text)
    fields = {"csrf": csrf, **({"replace": "on"} if replace else {})}
    return client.post(
        "/keys/import", data=fields, files={"file": ("keys.json", content, "application/json")}
    )


def test_export_then_import_puts_a_changed_key_back_only_when_asked(
    console_url: str, console_env: dict[str, str]
) -> None:
    token = admin_token(console_env, "backup")
    with _api(console_url, token) as api, signed_in_client(console_url, token) as client:
        created = api.post("/keys", json={"name": "backed-up", "rpm": 7}).json()
        exported = client.get("/keys/export")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].startswith('attachment; filename="ingate-keys-')
        document = exported.json()
        assert document["format"] == "ingate-keys"
        mine = [k for k in document["keys"] if k["record"]["key_id"] == created["id"]]
        assert len(mine) == 1 and mine[0]["record"]["rpm"] == 7
        assert created["key"] not in exported.text

        api.patch(f"/keys/{created['id']}", json={"rpm": 99}).raise_for_status()
        kept = _import(client, exported.content)
        assert kept.status_code == 200, kept.text
        summary = kept.text.split('id="import-summary">', 1)[1].split("</p>", 1)[0]
        assert f"Imported {len(document['keys'])} keys:" in summary and "1 kept" in summary
        assert api.get(f"/keys/{created['id']}").json()["rpm"] == 99

        replaced = _import(client, exported.content, replace=True)
        assert "1 replaced" in replaced.text
        assert api.get(f"/keys/{created['id']}").json()["rpm"] == 7


def _export(version: int, *keys: object) -> bytes:
    return json.dumps({"format": "ingate-keys", "version": version, "exported_at": "", "keys": keys}).encode()


_FOREIGN = {"key_hash": "0" * 64, "record": {"key_id": "key_111111111111", "created_at": "2026-01-01"}}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not json at all", "not JSON"),
        (_export(9), "not an Ingate"),
        (_export(1, _FOREIGN), "keys[0].record.key_id"),
    ],
)
def test_a_bad_file_comes_back_with_the_reason_and_changes_nothing(
    console_url: str, console_env: dict[str, str], content: bytes, said: str
) -> None:
    token = admin_token(console_env, f"bad-import-{len(content)}")
    with _api(console_url, token) as api, signed_in_client(console_url, token) as client:
        before = api.get("/keys").json()
        answer = _import(client, content)
        assert answer.status_code == 400
        assert said in answer.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
        assert api.get("/keys").json() == before


def test_import_needs_a_file_and_the_form_s_csrf_token(console_url: str, console_env: dict[str, str]) -> None:
    with signed_in_client(console_url, admin_token(console_env, "no-file")) as client:
        csrf = page_csrf(client.get("/keys/import").text)
        assert client.post("/keys/import", data={"csrf": csrf}).status_code == 400
        refused = client.post("/keys/import", files={"file": ("keys.json", b"{}", "application/json")})
        assert refused.status_code == 403
