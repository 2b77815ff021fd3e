"""The console end to end in a real Chromium: a stack of real processes (its own nats-server,
analytics with its own data dir, an edge, the admin service, the mock provider) and the official
openai SDK using the key the page made."""

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import openai
import pytest
from playwright.sync_api import Page

from ingate_nats import NatsServer
from tests.analytics.processes import analytics_env
from tests.conftest import Edge, start_edge
from tests.console.conftest import Screens, console_root
from tests.console.flow import create_key, revoke_key, sign_in
from tests.support.admin import admin_token, running_admin
from tests.support.local_stack import wait_for
from tests.support.processes import INGATE, Service, clean_env, free_port

log = logging.getLogger(__name__)
# Generous: the machine is small and busy, and analytics stores records in batches.
_DEADLINE_S = 90.0


@dataclass
class Stack:
    edge: Edge
    console_url: str
    token: str


@pytest.fixture(scope="module")
def stack(mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Its own nats-server: the durable analytics consumer must see every record these tests make.
    nats = NatsServer("127.0.0.1", free_port(), tmp_path_factory.mktemp("console-jetstream"))
    nats.start()
    with contextlib.ExitStack() as stop:
        stop.callback(nats.stop)
        analytics = Service(
            "console-analytics",
            [*INGATE, "analytics"],
            analytics_env(nats.url, tmp_path_factory.mktemp("console-analytics")),
            logs_dir,
        )
        stop.callback(analytics.stop)
        analytics.wait_log("ingate analytics consuming", 60.0)
        edge = start_edge(nats.url, mock_url, logs_dir, name="console-edge")
        stop.callback(edge.service.stop)
        env = clean_env(INGATE_NATS_URL=nats.url, INGATE_ADMIN_PORT=str(free_port()))
        api_url = stop.enter_context(running_admin(env, logs_dir, "console-flow-admin"))
        yield Stack(edge=edge, console_url=console_root(api_url), token=admin_token(env, "flow"))


def _sdk(stack: Stack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.edge.url}/v1", api_key=key, max_retries=0, timeout=30)


def _chat(client: openai.OpenAI, text: str) -> str | None:
    """The request id of one chat through the edge; None while the edge does not take the key."""
    try:
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": text}], max_tokens=20
        )
    except openai.AuthenticationError:
        return None
    assert raw.parse().choices[0].message.content
    return raw.headers["x-ingate-request-id"]


def _first_chat(client: openai.OpenAI, text: str) -> str:
    """The request id of the first chat the edge takes with a new key (edges learn of it from the
    keys bucket they watch, a moment after it is made)."""
    request_id: str = wait_for(lambda: _chat(client, text), _DEADLINE_S, "the edge takes the new key")
    return request_id


def test_a_key_made_in_the_page_works_until_revoked_there(stack: Stack, page: Page, screens: Screens) -> None:
    url = stack.console_url
    sign_in(page, screens, url, stack.token)
    made = create_key(page, screens, url, "flow-key", "flow-user", log_payloads=False)
    assert made.key.startswith("sk-ingate-")
    page.reload()
    screens.shot("key-created-reloaded")
    assert made.key not in page.content()
    assert page.locator("#new-key").count() == 0

    client = _sdk(stack, made.key)
    _first_chat(client, "hello")

    page.goto(f"{url}/keys")
    screens.shot("keys-with-new-key")
    assert page.get_by_role("link", name="flow-key").count() == 1

    page.goto(f"{url}/catalog")
    screens.shot("catalog")
    assert page.get_by_role("cell", name="openai", exact=True).count() >= 1  # a built-in provider

    page.goto(f"{url}/admin-tokens")
    screens.shot("admin-tokens")
    assert page.locator("tr.active").count() >= 1  # the token this browser signed in with
    page.goto(f"{url}/prices?model=gpt-4o-2024-08-06&provider=openai")
    screens.shot("prices")
    assert page.inner_text("#price-source")

    revoke_key(page, screens, url, made.key_id)
    revoked_at = time.monotonic()
    wait_for(lambda: _chat(client, "still there?") is None, _DEADLINE_S, "the edge refuses the revoked key")
    delay = time.monotonic() - revoked_at
    log.warning("revoked in the console; the edge refused the key %.2fs later", delay)

    page.goto(f"{url}/usage?since=1h")
    screens.shot("usage")

    # Totals come from the analytics service's usage lookup; the row appears once it has stored it.
    def flow_user_listed() -> bool:
        page.goto(f"{url}/usage?since=1h")
        return page.get_by_role("link", name="flow-user").count() > 0

    wait_for(flow_user_listed, _DEADLINE_S, "usage lists flow-user")
    screens.shot("usage-with-flow-user")
    # The charts come from the usage series lookup: one line per user, drawn on the server.
    assert page.locator("figure.chart svg polyline").count() >= 1
    assert "flow-user" in page.inner_text("figure.chart ul.legend")


def test_a_request_is_found_with_its_payload_and_the_key_changes_are_audited(
    stack: Stack, page: Page, screens: Screens
) -> None:
    url = stack.console_url
    sign_in(page, screens, url, stack.token)
    made = create_key(page, screens, url, "logged-key", "logged-user", log_payloads=True)
    client = _sdk(stack, made.key)
    request_id = _first_chat(client, "the words to find again")

    def listed() -> bool:
        page.goto(f"{url}/requests?user=logged-user&since=1h")
        return page.get_by_role("link", name=request_id).count() == 1

    wait_for(listed, _DEADLINE_S, "request search lists the request")
    screens.shot("requests")
    page.get_by_role("link", name=request_id).click()
    page.wait_for_url(f"{url}/requests/{quote(request_id, safe='')}")

    def payload_shown() -> bool:
        page.reload()
        return page.locator("#request-body").count() == 1

    wait_for(payload_shown, _DEADLINE_S, "the request's payload is shown")
    screens.shot("request-detail")
    assert "the words to find again" in page.inner_text("#request-body")
    assert made.key not in page.content()

    revoke_key(page, screens, url, made.key_id)

    def audited() -> bool:
        page.goto(f"{url}/audit?target={quote(made.key_id)}")
        text = page.inner_text("main")
        return "key.create" in text and "key.revoke" in text

    wait_for(audited, _DEADLINE_S, "the audit trail shows the key's create and revoke")
    screens.shot("audit")
    assert "admin:flow" in page.inner_text("main")
