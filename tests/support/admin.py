"""The admin service as a process, admin tokens for it, and a clean catalog after a test."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.processes import INGATE, Service, run_cli


@contextmanager
def running_admin(env: dict[str, str], logs_dir: Path, name: str = "admin") -> Iterator[str]:
    """`ingate admin` with `env` (INGATE_ADMIN_PORT set); its /admin/v1 URL while it runs."""
    url = f"http://127.0.0.1:{env['INGATE_ADMIN_PORT']}/admin/v1"
    service = Service(name, [*INGATE, "admin"], env, logs_dir)
    try:
        service.wait_http(f"{url}/openapi.json", timeout_s=60.0)
        yield url
    finally:
        service.stop()


def admin_token(env: dict[str, str], name: str) -> str:
    """`ingate admin-tokens create --name NAME`: the token it prints once."""
    done = run_cli("admin-tokens", "create", "--name", name, "--json", env=env)
    assert done.returncode == 0, done.stderr
    token: str = json.loads(done.stdout)["token"]
    return token


def remove_runtime_catalog(url: str, auth: dict[str, str]) -> None:
    """Delete every run-time route, then every run-time provider: the session's edges all watch
    the same buckets, so what one test adds must not reach the next."""
    for kind in ("routes", "providers"):
        for entry in httpx.get(f"{url}/{kind}", headers=auth, timeout=30).json():
            if entry["source"] == "runtime":
                gone = httpx.delete(f"{url}/{kind}/{entry['name']}", headers=auth, timeout=30)
                assert gone.status_code == 200, gone.text
