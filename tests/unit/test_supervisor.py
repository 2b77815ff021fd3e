"""The supervisor on its own, with small real child processes."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingate_cli import supervisor as supervision
from ingate_cli.supervisor import ChildSpec, Supervisor, describe_exit
from tests.support.local_stack import alive

PY = sys.executable


def _until(
    condition: Callable[[], bool], timeout_s: float = 30.0, step: Callable[[], object] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if step is not None:
            step()
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervision, "FIRST_BACKOFF_S", 0.01)


def test_a_child_that_keeps_exiting_is_restarted_with_doubling_delays(quick_backoff: None) -> None:
    supervisor = Supervisor()
    child = supervisor.start(ChildSpec(name="crasher", command=[PY, "-c", "raise SystemExit(3)"]))
    delays: list[float] = []

    def look() -> None:
        if supervisor.poll():
            delays.append(child.restart_delay_s())

    _until(lambda: len(delays) >= 5, step=look)
    supervisor.stop()
    assert delays[:5] == [0.01, 0.02, 0.04, 0.08, 0.16]
    assert child.restarts >= 4  # never given up on, unlike a fixed restart budget
    assert child.last_exit == 3


def test_the_delay_is_capped() -> None:
    child = supervision.Child(ChildSpec(name="x", command=["true"]))
    child.exits_in_a_row = 40
    assert child.restart_delay_s() == supervision.MAX_BACKOFF_S


def test_a_healthy_run_resets_the_delays(
    quick_backoff: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(supervision, "HEALTHY_S", 0.0)
    gate = tmp_path / "gate"
    # Runs until the test removes the gate file, then exits: one crash after a "healthy" run.
    script = f"import os, time\nwhile os.path.exists({str(gate)!r}): time.sleep(0.02)\nraise SystemExit(1)"
    gate.touch()
    supervisor = Supervisor()
    child = supervisor.start(ChildSpec(name="steady", command=[PY, "-c", script]))
    child.exits_in_a_row = 5  # as after a run of crashes
    _until(lambda: child.state == "ready", step=supervisor.poll)
    gate.unlink()
    _until(lambda: child.state == "restarting", step=supervisor.poll)
    supervisor.stop()
    assert child.exits_in_a_row == 1


def test_readiness_follows_the_probe(quick_backoff: None, tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    supervisor = Supervisor()
    child = supervisor.start(
        ChildSpec(name="svc", command=[PY, "-c", "import time; time.sleep(60)"], ready=flag.exists)
    )
    supervisor.poll()
    assert child.state == "starting"
    flag.touch()
    _until(lambda: child.state == "ready", step=supervisor.poll)
    flag.unlink()
    _until(lambda: child.state == "not ready", step=supervisor.poll)
    supervisor.stop()
    assert supervisor.child("svc").state == "stopped"


def test_children_stop_in_waves(tmp_path: Path) -> None:
    order = tmp_path / "order"
    script = textwrap.dedent(
        """
        import signal, sys, time
        def bye(*_):
            with open(sys.argv[2], "a") as f:
                f.write(sys.argv[1] + "\\n")
            sys.exit(0)
        signal.signal(signal.SIGTERM, bye)
        print("up", flush=True)
        while True:
            time.sleep(1)
        """
    )
    supervisor = Supervisor()
    for name, wave in (("nats", 2), ("analytics", 1), ("edge", 0)):
        supervisor.start(ChildSpec(name=name, command=[PY, "-c", script, name, str(order)], stop_wave=wave))
    _until(lambda: all(c.alive for c in supervisor.children))
    _until(lambda: _handlers_installed(supervisor), timeout_s=30)
    supervisor.stop()
    assert order.read_text().split() == ["edge", "analytics", "nats"]


def _handlers_installed(supervisor: Supervisor) -> bool:
    # SigCgt in /proc/PID/status: bit 15 (SIGTERM) set once the child's handler is in place.
    for child in supervisor.children:
        status = Path(f"/proc/{child.pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if not caught & (1 << (signal.SIGTERM - 1)):
            return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    program = textwrap.dedent(
        f"""
        import time
        from ingate_cli.supervisor import ChildSpec, Supervisor
        s = Supervisor()
        a = s.start(ChildSpec(name="a", command=["sleep", "600"]))
        b = s.start(ChildSpec(name="b", command=[{PY!r}, "-c", "import time; time.sleep(600)"]))
        open({str(pids)!r}, "w").write(f"{{a.pid}} {{b.pid}}")
        while True:
            s.poll()
            time.sleep(0.1)
        """
    )
    process = subprocess.Popen([PY, "-c", program])
    try:
        _until(lambda: pids.exists() and len(pids.read_text().split()) == 2)
        children = [int(p) for p in pids.read_text().split()]
        assert all(alive(pid) for pid in children)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        _until(lambda: not any(alive(pid) for pid in children), timeout_s=30)
    finally:
        if process.poll() is None:
            process.kill()
        for pid in [int(p) for p in pids.read_text().split()] if pids.exists() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_exits_are_described_for_people() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(2) == "status 2"
