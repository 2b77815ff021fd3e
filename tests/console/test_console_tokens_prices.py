"""The console's admin tokens and prices pages, over HTTP with a real session on a real admin
process: a token made in the page is shown once and works on the admin API until it is revoked
in the page; bad names come back with the reason; the prices page says what the catalog says."""

import html
import re

import httpx
import pytest

from ingate_pricing import PriceTable
from tests.console.conftest import page_csrf, signed_in_client
from tests.support.admin import admin_token

_TOKEN_RE = re.compile(r'id="new-token">(sk-ingate-admin-[A-Za-z0-9_-]+)<')


def _keys_status(console_url: str, token: str) -> int:
    answer = httpx.get(
        f"{console_url}/admin/v1/keys", headers={"authorization": f"Bearer {token}"}, timeout=30
    )
    return answer.status_code


def test_a_token_made_in_the_page_is_shown_once_and_works_until_revoked_there(
    console_url: str, console_env: dict[str, str]
) -> None:
    with signed_in_client(console_url, admin_token(console_env, "token-maker")) as client:
        csrf = page_csrf(client.get("/admin-tokens").text)
        made = client.post("/admin-tokens/new", data={"csrf": csrf, "name": "ci-robot"})
        assert made.status_code == 303, made.text
        result = client.get(made.headers["location"])
        found = _TOKEN_RE.search(result.text)
        assert found, result.text
        new_token = found.group(1)
        assert _keys_status(console_url, new_token) == 200

        again = client.get(made.headers["location"])
        assert new_token not in again.text
        assert "shown once already" in again.text

        listing = client.get("/admin-tokens").text
        assert "ci-robot" in listing
        assert new_token not in listing
        token_id = made.headers["location"].split("/")[2]
        revoked = client.post(f"/admin-tokens/{token_id}/revoke", data={"csrf": page_csrf(listing)})
        assert revoked.status_code == 303
        assert _keys_status(console_url, new_token) == 401
        assert client.get("/admin-tokens").status_code == 200


def test_revoking_the_session_s_own_token_ends_the_session(
    console_url: str, console_env: dict[str, str]
) -> None:
    token = admin_token(console_env, "self-revoker")
    with signed_in_client(console_url, token) as client:
        listing = client.get("/admin-tokens").text
        # The row's own cells: the name also appears in the page's "signed in as" header.
        token_id = re.search(r"<td>self-revoker</td>\s*<td><a [^>]*><code>(adm_[0-9a-f]+)</code>", listing)
        assert token_id
        answer = client.post(f"/admin-tokens/{token_id.group(1)}/revoke", data={"csrf": page_csrf(listing)})
        assert answer.status_code == 303
        after = client.get("/admin-tokens")
        assert after.status_code == 303
        assert after.headers["location"] == "/sign-in"


@pytest.mark.parametrize(
    ("name", "said"),
    [("", "name: "), ("   ", "name: "), ("x" * 101, "at most 100"), ("duplicate", "already in use")],
)
def test_a_bad_token_name_gets_the_page_back_with_the_reason(
    console_url: str, console_env: dict[str, str], name: str, said: str
) -> None:
    with signed_in_client(console_url, admin_token(console_env, f"namer-{len(name)}")) as client:
        if name == "duplicate":
            client.post(
                "/admin-tokens/new", data={"csrf": page_csrf(client.get("/admin-tokens").text), "name": name}
            )
        csrf = page_csrf(client.get("/admin-tokens").text)
        answer = client.post("/admin-tokens/new", data={"csrf": csrf, "name": name})
        assert answer.status_code == 400
        alert = answer.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
        assert said in html.unescape(alert)
        assert _TOKEN_RE.search(answer.text) is None


def test_token_forms_need_their_csrf_token_and_an_unknown_token_is_404(
    console_url: str, console_env: dict[str, str]
) -> None:
    with signed_in_client(console_url, admin_token(console_env, "csrf-less")) as client:
        assert client.post("/admin-tokens/new", data={"name": "sneaky"}).status_code == 403
        assert "sneaky" not in client.get("/admin-tokens").text
        csrf = page_csrf(client.get("/admin-tokens").text)
        assert client.post("/admin-tokens/adm_0000/revoke", data={"csrf": csrf}).status_code == 404
        assert client.get("/admin-tokens/adm_0000/created").status_code == 404


def test_the_prices_page_says_what_the_catalog_says(console_url: str, console_env: dict[str, str]) -> None:
    model = "gpt-4o-2024-08-06"
    price = PriceTable.shipped().price(model, "openai")
    assert price is not None
    with signed_in_client(console_url, admin_token(console_env, "pricer")) as client:
        answer = client.get("/prices", params={"model": model, "provider": "openai"})
        assert answer.status_code == 200, answer.text
        assert f'id="price-source">{html.escape(price.source)}<' in answer.text
        assert f'data-kind="input">{price.rates.input:g}<' in answer.text
        assert f'data-kind="output">{price.rates.output:g}<' in answer.text
        assert client.get("/prices").status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"model": "no-such-model-anywhere"}, 404, "No price for model"),
        ({"model": "gpt-4o", "provider": "nowhere"}, 400, "provider: no provider or API format"),
        ({"model": "<script>alert(1)</script>"}, 404, "&lt;script&gt;"),
    ],
)
def test_the_prices_page_says_why_it_has_no_price(
    console_url: str, console_env: dict[str, str], params: dict[str, str], status: int, said: str
) -> None:
    name = f"pricer-{status}-{len(params)}-{len(params['model'])}"
    with signed_in_client(console_url, admin_token(console_env, name)) as client:
        answer = client.get("/prices", params=params)
        assert answer.status_code == status
        assert said in answer.text
        assert "<script>alert" not in answer.text
