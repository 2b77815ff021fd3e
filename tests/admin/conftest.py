"""An `ingate admin` process on the session's nats-server, and admin tokens made as a person does."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingate_nats import NatsServer
from tests.support.processes import INGATE, Service, clean_env, free_port, run_cli


@pytest.fixture(scope="module")
def admin_env(nats_server: NatsServer) -> dict[str, str]:
    return clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(free_port()))


@pytest.fixture(scope="module")
def admin_url(admin_env: dict[str, str], logs_dir: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{admin_env['INGATE_ADMIN_PORT']}/admin/v1"
    service = Service("admin", [*INGATE, "admin"], admin_env, logs_dir)
    service.wait_http(f"{url}/openapi.json", timeout_s=60.0)
    yield url
    service.stop()


@pytest.fixture(scope="module")
def new_token(admin_env: dict[str, str]) -> Callable[[str], str]:
    """`ingate admin-tokens create --name NAME`: the token it prints once."""

    def create(name: str) -> str:
        done = run_cli("admin-tokens", "create", "--name", name, "--json", env=admin_env)
        assert done.returncode == 0, done.stderr
        token: str = json.loads(done.stdout)["token"]
        return token

    return create
