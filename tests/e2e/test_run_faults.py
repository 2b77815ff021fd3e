"""`ingate run` under faults: crashed children come back, nothing outlives the supervisor."""

import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.local_stack import START_S, LocalStack, alive, descendants, wait_for

pytestmark = pytest.mark.timeout(900)

_REQUESTS = 150


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = LocalStack(tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def _client(stack: LocalStack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.url, api_key=stack.key or "", max_retries=0, timeout=120)


def _ask(client: openai.OpenAI, text: str) -> str:
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    return completion.choices[0].message.content or ""


def _usage_requests(stack: LocalStack) -> int:
    done = stack.cli("usage", "--since", "1h", "--json")
    if done.returncode != 0:
        return -1
    return sum(int(user["requests"]) for user in json.loads(done.stdout)["users"])


def test_crashed_children_are_started_again_and_nothing_is_lost(stack: LocalStack) -> None:
    stack.start()
    stack.wait_banner()
    client = _client(stack)

    # nats-server dies in the middle of a run of requests: every request is still answered.
    nats_pid = stack.pid_of("nats-server")
    answers: list[str] = []
    failures: list[BaseException] = []

    def traffic() -> None:
        for n in range(_REQUESTS):
            try:
                answers.append(_ask(client, f"request {n}"))
            except Exception as exc:
                failures.append(exc)

    sender = threading.Thread(target=traffic)
    sender.start()
    wait_for(lambda: len(answers) >= 20, 120, "first answers")
    os.kill(nats_pid, signal.SIGKILL)
    sender.join(600)
    assert not failures, failures[:3]
    assert len(answers) == _REQUESTS and all(a.startswith("Mock reply") for a in answers)
    stack.wait_ready_again("nats-server", nats_pid)

    # The edge dies between requests: the port stays open and the next request waits for its successor.
    edge_pid = stack.pid_of("edge")
    os.kill(edge_pid, signal.SIGKILL)
    # A new connection (the old one died with its process) waits in the port's queue.
    assert _ask(_client(stack), "after the edge crashed").startswith("Mock reply")
    stack.wait_ready_again("edge", edge_pid)

    # Analytics crashes more often than any fixed budget allowed: it is started again every time.
    for _ in range(4):
        analytics_pid = stack.pid_of("analytics")
        os.kill(analytics_pid, signal.SIGKILL)
        wait_for(lambda: stack.service("analytics").get("pid") not in (None, analytics_pid), 120)  # noqa: B023
    stack.wait_ready_again("analytics", analytics_pid)
    assert stack.service("analytics")["restarts"] == 4

    # Every request, those made while NATS was down included, reaches `ingate usage`.
    wait_for(lambda: _usage_requests(stack) >= _REQUESTS + 1, 180, "all requests in ingate usage")
    status = stack.cli("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "nats-server" in status.stdout and "restarted 1 times" in status.stdout
    stack.signal_group(signal.SIGINT)
    assert stack.process is not None and stack.process.wait(120) == 0
    assert "Traceback" not in stack.stderr()


def test_nothing_outlives_a_killed_supervisor_and_the_next_run_starts(stack: LocalStack) -> None:
    first = stack.start()
    stack.wait_banner()
    children = descendants(first.pid)
    assert len(children) >= 6  # nats-server, mock provider, translator, analytics, admin, edge

    first.send_signal(signal.SIGKILL)
    first.wait(30)
    wait_for(lambda: not any(alive(pid) for pid in children), 120, "every child gone")

    # Same ports, same data folder (JetStream store, embedded ClickHouse): it starts again.
    second = stack.start()
    stack.wait_banner()
    assert "Keys exist already" in stack.stdout()
    assert stack.status()["running"] is True
    children = descendants(second.pid)

    # A closed terminal (SIGHUP) stops the stack too, and takes the children with it.
    second.send_signal(signal.SIGHUP)
    assert second.wait(120) == 0
    assert not [pid for pid in children if alive(pid)]
    assert stack.cli("status").returncode == 1


def test_a_busy_port_is_one_line_and_an_exit(stack: LocalStack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", stack.edge_port))
        taken.listen()
        process = stack.start()
        assert process.wait(60) == 1
        errors = [line for line in stack.stderr().splitlines() if "ERROR" in line]
        assert len(errors) == 1 and f"port {stack.edge_port} is already in use" in errors[0], stack.stderr()
        assert "Traceback" not in stack.stderr()
        nats_port = int(stack.env["INGATE_NATS_URL"].rsplit(":", 1)[1])
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", nats_port)) != 0, "nats-server started regardless"


def test_a_second_run_on_the_same_data_dir_is_refused(stack: LocalStack, tmp_path: Path) -> None:
    stack.start()
    stack.wait_banner()
    other = LocalStack(tmp_path / "other", INGATE_DATA_DIR=stack.env["INGATE_DATA_DIR"])
    other.root.mkdir()
    try:
        process = other.start()
        assert process.wait(60) == 1
        assert "another `ingate run`" in other.stderr() and "uses the data dir" in other.stderr()
    finally:
        other.kill_all()
    assert stack.status()["running"] is True  # the first one is untouched


def test_a_slow_start_is_waited_for_and_the_banner_means_ready(stack: LocalStack) -> None:
    process = stack.start()
    analytics = stack.pid_of("analytics")
    os.kill(analytics, signal.SIGSTOP)  # as a machine too busy to give it any time
    try:
        wait_for(lambda: "waiting for analytics" in stack.stderr(), START_S, "the supervisor saying why")
        assert process.poll() is None and "Ingate is running" not in stack.stdout()
    finally:
        os.kill(analytics, signal.SIGCONT)
    stack.wait_banner()
    # The banner comes only once analytics answers: `ingate usage` works at once.
    done = stack.cli("usage", "--json")
    assert done.returncode == 0, done.stderr
    assert all(s["ready"] for s in stack.status()["services"])


def test_a_start_that_never_finishes_fails_after_the_configured_limit(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path, INGATE_RUN_START_TIMEOUT_S="3")
    try:
        process = stack.start()
        analytics = stack.pid_of("analytics")
        os.kill(analytics, signal.SIGSTOP)
        wait_for(lambda: "not ready after 3 s" in stack.stderr(), START_S, "the start limit")
        os.kill(analytics, signal.SIGCONT)  # so it can take the SIGTERM that stops it
        assert process.wait(120) == 1
        failure = next(line for line in stack.stderr().splitlines() if "not ready after 3 s" in line)
        assert "analytics" in failure and "INGATE_RUN_START_TIMEOUT_S" in failure
    finally:
        stack.kill_all()
