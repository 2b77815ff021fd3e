"""`ingate run` runs the admin service: ready in `ingate status`, restarted when it dies."""

import json
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.local_stack import LocalStack, wait_for

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = LocalStack(tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def _key_names(stack: LocalStack, token: str) -> list[str] | None:
    """The keys' names as the admin API lists them; None while it cannot answer."""
    try:
        answer = httpx.get(
            f"{stack.admin_url}/keys", headers={"authorization": f"Bearer {token}"}, timeout=60
        )
    except httpx.TransportError:
        return None
    return [key["name"] for key in answer.json()] if answer.status_code == 200 else None


def test_the_admin_service_is_supervised_like_the_others(stack: LocalStack) -> None:
    stack.start()
    stack.wait_banner()
    assert f"Admin API at {stack.admin_url}/" in stack.stdout()
    admin = stack.service("admin")
    assert admin["ready"] is True, admin
    assert stack.status()["admin_url"] == f"{stack.admin_url}/"
    text = stack.cli("status")
    assert text.returncode == 0 and "admin" in text.stdout and stack.admin_url in text.stdout, text.stdout

    created = stack.cli("admin-tokens", "create", "--name", "ops", "--json")
    assert created.returncode == 0, created.stderr
    token: str = json.loads(created.stdout)["token"]
    assert _key_names(stack, token) == ["first"]  # the key `ingate run` made for the banner

    os.kill(admin["pid"], signal.SIGKILL)
    stack.wait_ready_again("admin", admin["pid"])
    assert stack.service("admin")["restarts"] == 1
    assert _key_names(stack, token) == ["first"]  # the token lives in NATS, not in the process

    # NATS restarts under it: the admin service reconnects by itself, as the other services do.
    nats_pid = stack.pid_of("nats-server")
    os.kill(nats_pid, signal.SIGKILL)
    stack.wait_ready_again("nats-server", nats_pid)
    wait_for(
        lambda: _key_names(stack, token) == ["first"], 120, "the admin API answering after NATS restarted"
    )
    assert stack.service("admin")["restarts"] == 1  # reconnected, not restarted
    stack.signal_group(signal.SIGINT)
    assert stack.process is not None and stack.process.wait(120) == 0
    assert "Traceback" not in stack.stderr()


def test_a_busy_admin_port_is_one_line_and_an_exit(stack: LocalStack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", stack.admin_port))
        taken.listen()
        process = stack.start()
        assert process.wait(60) == 1
        errors = [line for line in stack.stderr().splitlines() if "ERROR" in line]
        assert len(errors) == 1, stack.stderr()
        assert f"port {stack.admin_port} is already in use" in errors[0] and "INGATE_ADMIN_PORT" in errors[0]
        assert "Traceback" not in stack.stderr()
        nats_port = int(stack.env["INGATE_NATS_URL"].rsplit(":", 1)[1])
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", nats_port)) != 0, "nats-server started regardless"
        wait_for(lambda: stack.cli("status").returncode == 1, 30, "no stack reported running")
