"""An `ingate admin` process on the session's nats-server, and admin tokens made as a person does."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingate_nats import NatsServer
from tests.support.admin import admin_token, running_admin
from tests.support.processes import clean_env, free_port


@pytest.fixture(scope="module")
def admin_env(nats_server: NatsServer) -> dict[str, str]:
    return clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(free_port()))


@pytest.fixture(scope="module")
def admin_url(admin_env: dict[str, str], logs_dir: Path) -> Iterator[str]:
    with running_admin(admin_env, logs_dir) as url:
        yield url


@pytest.fixture(scope="module")
def new_token(admin_env: dict[str, str]) -> Callable[[str], str]:
    """`ingate admin-tokens create --name NAME`: the token it prints once."""
    return lambda name: admin_token(admin_env, name)
