"""`ingate admin` as a real process, and admin tokens made with the command line as a person does."""

import json
from pathlib import Path

from tests.support.processes import INGATE, Service, run_cli


def start_admin(env: dict[str, str], logs_dir: Path, name: str = "admin") -> tuple[Service, str]:
    """The admin process `env` configures (it names the port), once it answers; and its base URL."""
    url = f"http://127.0.0.1:{env['INGATE_ADMIN_PORT']}"
    service = Service(name, [*INGATE, "admin"], env, logs_dir)
    service.wait_http(f"{url}/admin/v1/openapi.json", timeout_s=60.0)
    return service, url


def create_admin_token(env: dict[str, str], name: str) -> str:
    """`ingate admin-tokens create --name NAME`: the token it prints once."""
    done = run_cli("admin-tokens", "create", "--name", name, "--json", env=env)
    assert done.returncode == 0, done.stderr
    token: str = json.loads(done.stdout)["token"]
    return token


def revoke_admin_token(env: dict[str, str], name: str) -> None:
    done = run_cli("admin-tokens", "revoke", name, env=env)
    assert done.returncode == 0, done.stderr
