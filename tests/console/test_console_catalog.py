"""Providers and routes pages over HTTP with a real session: the file's entries read-only, run-time
ones added, changed and deleted through the admin API's own checks."""

import httpx

from tests.console.conftest import page_csrf, signed_in_client
from tests.support.admin import admin_token, remove_runtime_catalog


def test_providers_and_routes_are_managed_in_the_page(console_url: str, console_env: dict[str, str]) -> None:
    token = admin_token(console_env, "catalog-pages")
    auth = {"authorization": f"Bearer {token}"}
    api = f"{console_url}/admin/v1"
    try:
        with signed_in_client(console_url, token) as client:
            listing = client.get("/catalog")
            assert listing.status_code == 200
            assert "configuration file (read-only)" in listing.text  # the built-in providers
            csrf = page_csrf(listing.text)

            added = client.post(
                "/catalog/providers",
                data={
                    "csrf": csrf,
                    "name": "console-extra",
                    "format": "openai",
                    "base_url": "http://127.0.0.1:9/v1",
                    "api_key": "sk-console-secret",
                    "models": "gpt-4o, gpt-4o-mini",
                },
            )
            assert added.status_code == 303, added.text
            provider = httpx.get(f"{api}/providers/console-extra", headers=auth, timeout=30).json()
            assert provider["source"] == "runtime"
            assert provider["models"] == ["gpt-4o", "gpt-4o-mini"]
            assert provider["has_api_key"] is True
            shown = client.get("/catalog/providers/console-extra")
            assert "sk-console-secret" not in shown.text
            # Saving a change with the key box empty keeps the stored key; ticking "remove" drops it.
            kept = {
                "csrf": csrf,
                "name": "console-extra",
                "format": "openai",
                "base_url": "http://127.0.0.1:8/v1",
            }
            assert client.post("/catalog/providers", data=kept).status_code == 303
            provider = httpx.get(f"{api}/providers/console-extra", headers=auth, timeout=30).json()
            assert provider["base_url"] == "http://127.0.0.1:8/v1"
            assert provider["has_api_key"] is True
            assert client.post("/catalog/providers", data={**kept, "remove_api_key": "on"}).status_code == 303
            provider = httpx.get(f"{api}/providers/console-extra", headers=auth, timeout=30).json()
            assert provider["has_api_key"] is False

            bad = client.post("/catalog/providers", data={"csrf": csrf, "name": "bad one", "format": "openai",
                                                          "base_url": "nope"})  # fmt: skip
            assert bad.status_code == 400
            assert 'role="alert"' in bad.text

            route = '{"targets": [{"provider": "console-extra", "model": "gpt-4o"}]}'
            made = client.post("/catalog/route", data={"csrf": csrf, "name": "console/route", "body": route})
            assert made.status_code == 303, made.text
            assert httpx.get(f"{api}/routes/console/route", headers=auth, timeout=30).status_code == 200
            assert "console-extra" in client.get("/catalog/route", params={"name": "console/route"}).text

            broken = client.post(
                "/catalog/route", data={"csrf": csrf, "name": "console/bad", "body": "{not json"}
            )
            assert broken.status_code == 400
            assert "JSON" in broken.text

            in_use = client.post("/catalog/providers/console-extra/delete", data={"csrf": csrf})
            assert in_use.status_code == 409
            assert "console/route" in in_use.text

            assert (
                client.post("/catalog/route/delete", data={"csrf": csrf, "name": "console/route"}).status_code
                == 303
            )
            assert (
                client.post("/catalog/providers/console-extra/delete", data={"csrf": csrf}).status_code == 303
            )
            assert httpx.get(f"{api}/providers/console-extra", headers=auth, timeout=30).status_code == 404
            # A file entry has no form: nothing to post to.
            assert 'action="/catalog/providers"' not in client.get("/catalog/providers/openai").text
    finally:
        # The session's edges all watch these buckets: nothing this test adds may outlive it.
        remove_runtime_catalog(api, auth)
