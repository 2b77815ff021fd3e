"""Console pages over plain HTTP with a real session: editing a key through the form reaches the
same store the JSON API reads, bad values get the form back with the API's own message, and
report pages say "analytics unavailable" when no analytics service answers."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingate_nats import NatsServer
from tests.console.conftest import console_root, page_csrf, signed_in_client
from tests.support.admin import admin_token, running_admin
from tests.support.processes import clean_env, free_port


def _api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{url}/admin/v1", headers={"authorization": f"Bearer {token}"}, timeout=30)


def test_editing_a_key_in_the_form_changes_what_the_api_answers(
    console_url: str, console_env: dict[str, str]
) -> None:
    token = admin_token(console_env, "edit-form")
    with _api(console_url, token) as api, signed_in_client(console_url, token) as client:
        key_id = api.post("/keys", json={"name": "editable", "rpm": 5}).json()["id"]
        form = client.get(f"/keys/{key_id}")
        assert 'name="rpm" value="5"' in form.text
        saved = client.post(
            f"/keys/{key_id}",
            data={
                "csrf": page_csrf(form.text),
                "name": "edited",
                "user": "someone",
                "providers": "openai, anthropic",
                "models": "gpt-4o*",
                "rpm": "",
                "tpm": "900",
                "budget_usd": "2.5",
                "expires": "30d",
                "log_payloads": "on",
            },
        )
        assert saved.status_code == 303, saved.text
        key = api.get(f"/keys/{key_id}").json()
        assert key["name"] == "edited"
        assert key["user_id"] == "someone"
        assert key["providers"] == ["openai", "anthropic"]
        assert key["models"] == ["gpt-4o*"]
        assert key["rpm"] is None  # an empty box removes the limit
        assert key["tpm"] == 900
        assert key["budget_usd"] == 2.5
        assert key["expires_at"]
        assert key["log_payloads"] is True


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("rpm", "many", "rpm"),
        ("rpm", "0", "rpm"),
        ("budget_usd", "-1", "budget_usd"),
        ("expires", "soon", "expires"),
    ],
)
def test_a_bad_value_gets_the_form_back_with_the_reason(
    console_url: str, console_env: dict[str, str], field: str, value: str, said: str
) -> None:
    with signed_in_client(console_url, admin_token(console_env, f"bad-{field}-{value}")) as client:
        csrf = page_csrf(client.get("/keys/new").text)
        answer = client.post("/keys/new", data={"csrf": csrf, "name": "bad", field: value})
        assert answer.status_code == 400
        assert 'role="alert"' in answer.text
        assert said in answer.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
        assert f'value="{value}"' in answer.text  # what was typed stays in the form
        assert client.get("/keys").status_code == 200


def test_a_revoked_key_has_no_edit_form(console_url: str, console_env: dict[str, str]) -> None:
    token = admin_token(console_env, "revoked-form")
    with _api(console_url, token) as api, signed_in_client(console_url, token) as client:
        key_id = api.post("/keys", json={"name": "gone"}).json()["id"]
        csrf = page_csrf(client.get(f"/keys/{key_id}").text)
        assert client.post(f"/keys/{key_id}/revoke", data={"csrf": csrf}).status_code == 303
        shown = client.get(f"/keys/{key_id}")
        assert "revoked" in shown.text
        assert 'name="rpm"' not in shown.text
        assert client.get("/keys/no-such-key").status_code == 404


@pytest.fixture(scope="module")
def lonely_console(
    logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """An admin service on a nats-server of its own, where no analytics service runs."""
    nats = NatsServer("127.0.0.1", free_port(), tmp_path_factory.mktemp("lonely-jetstream"))
    nats.start()
    env = clean_env(INGATE_NATS_URL=nats.url, INGATE_ADMIN_PORT=str(free_port()))
    try:
        with running_admin(env, logs_dir, "lonely-admin") as api_url:
            yield console_root(api_url), env
    finally:
        nats.stop()


@pytest.mark.parametrize("path", ["/usage", "/requests", "/requests/req_x", "/audit"])
def test_report_pages_say_analytics_is_unavailable(
    lonely_console: tuple[str, dict[str, str]], path: str
) -> None:
    url, env = lonely_console
    with signed_in_client(url, admin_token(env, f"lonely{path.replace('/', '-')}")) as client:
        answer = client.get(path)
        assert answer.status_code == 503
        assert "Analytics unavailable" in answer.text
        assert "<nav>" in answer.text  # the console itself still works around the notice
        assert client.get("/keys").status_code == 200


def test_a_bad_filter_is_said_in_the_page(console_url: str, console_env: dict[str, str]) -> None:
    with signed_in_client(console_url, admin_token(console_env, "bad-filter")) as client:
        answer = client.get("/requests", params={"since": "yesterday"})
        assert answer.status_code == 400
        assert "since" in answer.text
        assert "<nav>" in answer.text
        assert client.get("/usage", params={"by": "planet"}).status_code == 400
