"""The console's fixtures: a real admin process on a real nats-server, admin tokens made with the
command line, and Debian's Chromium driven by Playwright."""

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ingate_nats import NatsServer
from tests.support.admin import running_admin
from tests.support.processes import clean_env, free_port

# Debian's package (CI installs it first), never a browser Playwright downloads.
CHROMIUM = "chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The browser is installed by the system's package manager (CI does so first); this is only how
# long to wait for a concurrent install to finish, never a reason to skip.
_CHROMIUM_WAIT_S = 600.0


@pytest.fixture(scope="module")
def console_env(nats_server: NatsServer) -> dict[str, str]:
    return clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(free_port()))


def console_root(api_url: str) -> str:
    """The console's base URL, from the admin API's."""
    return api_url.removesuffix("/admin/v1")


@pytest.fixture(scope="module")
def console_url(console_env: dict[str, str], logs_dir: Path) -> Iterator[str]:
    with running_admin(console_env, logs_dir, "admin-console") as api_url:
        yield console_root(api_url)


@contextlib.contextmanager
def signed_in_client(url: str, token: str) -> Iterator[httpx.Client]:
    """An HTTP client holding a console session, signed in the way the form does it."""
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as client:
        form = client.get("/sign-in")
        answer = client.post("/sign-in", data={"csrf": page_csrf(form.text), "token": token})
        assert answer.status_code == 303, answer.text
        yield client


def page_csrf(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium for one test. Playwright's sync API runs an event loop on this thread while it is
    open, so it must close before any later test calls asyncio.run: not a session-wide browser."""
    deadline = time.monotonic() + _CHROMIUM_WAIT_S
    while (executable := shutil.which(CHROMIUM)) is None:
        assert time.monotonic() < deadline, f"{CHROMIUM} is missing: apt-get install chromium"
        time.sleep(2)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(60_000)
    opened = context.new_page()
    yield opened
    context.close()


class Screens:
    """A screenshot of every page a test visits, numbered, in the test's tmp_path."""

    def __init__(self, page: Page, directory: Path) -> None:
        self.page = page
        self.directory = directory
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.directory / f"{self.count:02d}-{name}.png"), full_page=True)


@pytest.fixture
def screens(page: Page, tmp_path: Path) -> Iterator[Screens]:
    taken = Screens(page, tmp_path)
    yield taken
    # Where the test ended, passed or not: the page a failed wait was looking at.
    taken.shot("last")
