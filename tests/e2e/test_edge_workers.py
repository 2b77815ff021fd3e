"""INGATE_EDGE_WORKERS=2: two edge processes on one port hold limits as one and cover for each other."""

import http.client
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingate_nats import NatsServer
from tests.conftest import edge_env
from tests.support.local_stack import alive, descendants, wait_for
from tests.support.processes import INGATE, Service, free_port, run_cli

pytestmark = pytest.mark.timeout(600)

_WORKERS = 2
_RPM = 3


class Workers:
    def __init__(self, service: Service, port: int, env: dict[str, str]) -> None:
        self.service = service
        self.port = port
        self.env = env

    def pids(self) -> set[int]:
        return {pid for pid in descendants(self.service.process.pid) if alive(pid)}

    def key(self, *args: str) -> str:
        done = run_cli("keys", "create", *args, env=self.env)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        return connection

    def owner(self, connection: http.client.HTTPConnection) -> int:
        """The worker process holding the server side of `connection`."""
        client_port = connection.sock.getsockname()[1]
        inode = _server_socket_inode(self.port, client_port)
        link = f"socket:[{inode}]"
        for pid in self.pids():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == link:
                        return pid
                except OSError:
                    continue
        raise AssertionError(f"no worker holds the connection from port {client_port}")


def _server_socket_inode(server_port: int, client_port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return fields[9]
    raise AssertionError(f"no server socket for client port {client_port}")


def _chat(connection: http.client.HTTPConnection, key: str) -> int:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection.request("POST", "/v1/chat/completions", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


@pytest.fixture
def workers(nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path: Path) -> Iterator[Workers]:
    port = free_port()
    env = edge_env(
        nats_server.url, mock_url, port, INGATE_EDGE_WORKERS=str(_WORKERS), INGATE_DATA_DIR=str(tmp_path)
    )
    service = Service("edge-workers", [*INGATE, "edge"], env, logs_dir)
    try:
        running = Workers(service, port, env)
        wait_for(lambda: len(running.pids()) == _WORKERS, 120, "two workers")
        service.wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=120)
        yield running
    finally:
        service.stop()


def _one_connection_per_worker(workers: Workers) -> dict[int, http.client.HTTPConnection]:
    by_worker: dict[int, http.client.HTTPConnection] = {}
    for _ in range(200):
        connection = workers.connect()
        owner = workers.owner(connection)
        if owner in by_worker:
            connection.close()
        else:
            by_worker[owner] = connection
        if len(by_worker) == _WORKERS:
            return by_worker
    raise AssertionError("the connections never reached both workers")


def test_two_workers_hold_one_limit_and_survive_each_other(workers: Workers) -> None:
    limited = workers.key("--name", "shared-limit", "--rpm", str(_RPM))
    by_worker = _one_connection_per_worker(workers)
    # The workers may hold a few leases apart, never more than the limit between them.
    started = time.monotonic()
    answers = [(pid, _chat(conn, limited)) for _ in range(_RPM) for pid, conn in by_worker.items()]
    elapsed_s = time.monotonic() - started
    admitted = [pid for pid, status in answers if status == 200]
    refused = [status for _, status in answers if status != 200]
    assert set(refused) == {429}, answers
    # A bucket of N per minute refills one request every 60/N s: allow for a machine that slow.
    assert _RPM <= len(admitted) <= _RPM + int(elapsed_s / (60 / _RPM)), answers
    for connection in by_worker.values():
        connection.close()

    # One worker is killed: the other serves every new connection while it is started again.
    free = workers.key("--name", "unlimited")
    victim = next(iter(by_worker))
    os.kill(victim, signal.SIGKILL)
    for _ in range(20):
        connection = http.client.HTTPConnection("127.0.0.1", workers.port, timeout=60)
        assert _chat(connection, free) == 200
        connection.close()
    wait_for(lambda: len(workers.pids()) == _WORKERS and victim not in workers.pids(), 120, "a new worker")

    # A revoke reaches every worker.
    done = run_cli("keys", "revoke", free, env=workers.env)
    assert done.returncode == 0, done.stderr

    def refused_everywhere() -> bool:
        try:
            conns = _one_connection_per_worker(workers)
        except AssertionError:  # the new worker takes connections once it has the keys
            return False
        statuses = [_chat(conn, free) for conn in conns.values()]
        for conn in conns.values():
            conn.close()
        return statuses == [401] * _WORKERS

    wait_for(refused_everywhere, 60, "the revoke on both workers")
