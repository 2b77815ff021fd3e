"""What a person does in the console, as browser steps the flow tests share."""

from dataclasses import dataclass

from playwright.sync_api import Page

from tests.console.conftest import Screens


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    key: str


def sign_in(page: Page, screens: Screens, url: str, token: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_url(f"{url}/sign-in")
    screens.shot("sign-in")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/keys")
    screens.shot("keys")


def create_key(
    page: Page, screens: Screens, url: str, name: str, user: str, log_payloads: bool
) -> CreatedKey:
    page.goto(f"{url}/keys/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=user]", user)
    if log_payloads:
        page.check("input[name=log_payloads]")
    screens.shot("new-key")
    page.click("form.grid button[type=submit]")
    page.wait_for_url(f"{url}/keys/*/created")
    screens.shot("key-created")
    key = page.inner_text("#new-key").strip()
    key_id = page.url.rsplit("/", 2)[-2]
    return CreatedKey(key_id=key_id, key=key)


def revoke_key(page: Page, screens: Screens, url: str, key_id: str) -> None:
    page.goto(f"{url}/keys/{key_id}")
    screens.shot("key-before-revoke")
    page.click("form.danger button[type=submit]")
    page.wait_for_url(f"{url}/keys/{key_id}")
    assert page.inner_text("strong.status") == "revoked"
    screens.shot("key-revoked")
