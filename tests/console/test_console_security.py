"""The console's security properties, against a real admin process: who gets in, what a form
needs, what a cookie says, what is shown once, what is escaped."""

import asyncio
from pathlib import Path

import httpx
from playwright.sync_api import Dialog, Page

from ingate_config import load_settings
from ingate_contracts.subjects import CONSOLE_SESSIONS_BUCKET
from ingate_nats import connect
from tests.console.conftest import Screens, page_csrf, signed_in_client
from tests.support.admin import admin_token, revoke_admin_token


def test_pages_without_a_session_send_to_sign_in(console_url: str) -> None:
    with httpx.Client(base_url=console_url, timeout=30) as client:
        for path in ("/", "/keys", "/usage", "/requests", "/audit", "/keys/new"):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/sign-in"
        assert client.get("/sign-in").status_code == 200


def test_a_forged_session_cookie_is_no_session(console_url: str) -> None:
    with httpx.Client(base_url=console_url, timeout=30, cookies={"ingate_console": "A" * 43}) as client:
        assert client.get("/keys").status_code == 303
    with httpx.Client(base_url=console_url, timeout=30, cookies={"ingate_console": "*"}) as client:
        assert client.get("/keys").status_code == 303


def test_a_wrong_token_gets_the_form_again_with_401(console_url: str) -> None:
    with httpx.Client(base_url=console_url, timeout=30) as client:
        csrf = page_csrf(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"csrf": csrf, "token": "sk-ingate-admin-wrong"})
        assert answer.status_code == 401
        assert "not an active admin token" in answer.text
        assert 'name="token"' in answer.text
        assert "ingate_console=" not in answer.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_strict_and_not_the_token(
    console_url: str, console_env: dict[str, str]
) -> None:
    token = admin_token(console_env, "cookie-test")
    with httpx.Client(base_url=console_url, timeout=30) as client:
        csrf = page_csrf(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"csrf": csrf, "token": token})
    assert answer.status_code == 303
    cookies = [c for c in answer.headers.get_list("set-cookie") if c.startswith("ingate_console=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # plain http on loopback: a Secure cookie would never return
    value = cookies[0].split(";", 1)[0].split("=", 1)[1]
    assert token not in cookies[0]
    assert len(value) >= 32


def test_the_session_cookie_is_secure_over_https(console_url: str, console_env: dict[str, str]) -> None:
    # uvicorn takes the scheme from X-Forwarded-Proto when the proxy is local, as a TLS
    # terminator in front of the admin listener would send it.
    token = admin_token(console_env, "secure-test")
    with httpx.Client(base_url=console_url, timeout=30, headers={"x-forwarded-proto": "https"}) as client:
        form = client.get("/sign-in")
        # A Secure cookie: httpx keeps it for https only, so it is sent back by hand.
        sign_in_cookie = form.headers["set-cookie"].split(";", 1)[0]
        answer = client.post(
            "/sign-in",
            data={"csrf": page_csrf(form.text), "token": token},
            headers={"cookie": sign_in_cookie},
        )
    assert answer.status_code == 303, answer.text
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("ingate_console="))
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_a_revoked_token_ends_its_sessions(console_url: str, console_env: dict[str, str]) -> None:
    token = admin_token(console_env, "revoked-session")
    with signed_in_client(console_url, token) as client:
        assert client.get("/keys").status_code == 200
        revoke_admin_token(console_env, "revoked-session")
        answer = client.get("/keys")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in"


def test_sign_out_ends_the_session(console_url: str, console_env: dict[str, str]) -> None:
    with signed_in_client(console_url, admin_token(console_env, "sign-out")) as client:
        session = client.cookies["ingate_console"]
        csrf = page_csrf(client.get("/keys").text)
        assert client.post("/sign-out", data={"csrf": csrf}).status_code == 303
    with httpx.Client(base_url=console_url, timeout=30, cookies={"ingate_console": session}) as replay:
        assert replay.get("/keys").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(console_url: str, console_env: dict[str, str]) -> None:
    with signed_in_client(console_url, admin_token(console_env, "csrf-test")) as client:
        before = client.get("/keys").text
        missing = client.post("/keys/new", data={"name": "forged"})
        wrong = client.post("/keys/new", data={"name": "forged", "csrf": "x" * 43})
        assert missing.status_code == 403
        assert wrong.status_code == 403
        assert "CSRF" in missing.text
        assert "forged" not in client.get("/keys").text
        assert client.get("/keys").text.count("<tr") == before.count("<tr")
        # The sign-in form is guarded too, before there is a session.
        assert client.post("/sign-in", data={"token": "sk-ingate-admin-x"}).status_code == 403


def test_the_json_api_needs_no_csrf_token(console_url: str, console_env: dict[str, str]) -> None:
    auth = {"authorization": f"Bearer {admin_token(console_env, 'api-no-csrf')}"}
    answer = httpx.post(f"{console_url}/admin/v1/keys", json={"name": "api"}, headers=auth, timeout=30)
    assert answer.status_code == 201, answer.text


async def _stored_sessions(nats_url: str) -> list[bytes]:
    """Every console session as NATS holds it."""
    client = await connect(nats_url, "console-test")
    try:
        bucket = await client.jetstream().key_value(CONSOLE_SESSIONS_BUCKET)
        return [(await bucket.get(key)).value or b"" for key in await bucket.keys()]
    finally:
        await client.close()


def test_a_new_key_is_shown_once(console_url: str, console_env: dict[str, str]) -> None:
    with signed_in_client(console_url, admin_token(console_env, "show-once")) as client:
        csrf = page_csrf(client.get("/keys/new").text)
        created = client.post("/keys/new", data={"csrf": csrf, "name": "once"})
        assert created.status_code == 303
        pad_cookie = next(
            c for c in created.headers.get_list("set-cookie") if c.startswith("ingate_console_reveal=")
        )
        assert "httponly" in pad_cookie.lower()
        assert f"path={created.headers['location']}" in pad_cookie.lower()
        # Between the form and the result page, NATS holds the key only sealed.
        waiting = asyncio.run(_stored_sessions(console_env["INGATE_NATS_URL"]))
        result = client.get(created.headers["location"])
        assert result.status_code == 200
        assert result.headers["cache-control"] == "no-store"
        secret = result.text.split('id="new-key">', 1)[1].split("<", 1)[0]
        assert secret.startswith("sk-ingate-")
        key_id = created.headers["location"].split("/")[2]
        assert any(key_id.encode() in stored for stored in waiting)  # the sealed key was there
        assert all(secret.encode() not in stored for stored in waiting)
        hint = httpx.get(
            f"{console_url}/admin/v1/keys/{key_id}",
            headers={"authorization": f"Bearer {admin_token(console_env, 'show-once-api')}"},
            timeout=30,
        ).json()["hint"]
        assert hint.endswith(secret[-4:])  # the key shown is the key made
        again = client.get(created.headers["location"])
        assert secret not in again.text
        assert "shown once already" in again.text
        assert secret not in client.get(f"/keys/{key_id}").text
        assert secret not in client.get("/keys").text


def test_a_user_id_is_shown_escaped(
    console_url: str, console_env: dict[str, str], page: Page, screens: Screens
) -> None:
    hostile = "<script>alert(1)</script>"
    token = admin_token(console_env, "xss-test")
    auth = {"authorization": f"Bearer {token}"}
    made = httpx.post(
        f"{console_url}/admin/v1/keys", json={"name": "xss", "user": hostile}, headers=auth, timeout=30
    )
    assert made.status_code == 201, made.text
    dialogs: list[str] = []

    def note(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note)
    page.goto(f"{console_url}/sign-in")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console_url}/keys")
    screens.shot("keys-with-hostile-user")
    assert page.get_by_role("cell", name=hostile).count() >= 1  # the text itself, shown as text
    assert page.locator("main script").count() == 0
    assert "&lt;script&gt;" in page.content()
    assert dialogs == []


def test_the_console_listens_on_loopback_unless_told_otherwise(console_url: str, logs_dir: Path) -> None:
    assert load_settings(environ={}).admin.host == "127.0.0.1"
    # The fixture's admin process was given a port and no host.
    port = console_url.rsplit(":", 1)[1]
    assert f"listening on http://127.0.0.1:{port}" in (logs_dir / "admin-console.log").read_text()
