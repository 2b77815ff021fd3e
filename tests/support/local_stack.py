"""`ingate run` as a user starts it, in a process group of its own as a terminal would."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.processes import INGATE, clean_env, free_port, run_cli

# A whole stack on a 2-core machine busy with other work can take a while to come up.
START_S = 240.0


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their children, …)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: Callable[[], object], timeout_s: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout_s:g} s")


class LocalStack:
    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.edge_port = free_port()
        self.admin_port = free_port()  # every stack its own: the default 8081 would be shared
        defaults = {
            "INGATE_EDGE_HOST": "127.0.0.1",
            "INGATE_EDGE_PORT": str(self.edge_port),
            "INGATE_ADMIN_PORT": str(self.admin_port),
            "INGATE_NATS_URL": f"nats://127.0.0.1:{free_port()}",
            "INGATE_DATA_DIR": str(root / "var"),
        }
        self.env = clean_env(**{**defaults, **env})
        self.url = f"http://127.0.0.1:{self.edge_port}"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}/admin/v1"
        self.process: subprocess.Popen[bytes] | None = None
        self._runs = 0
        self.key: str | None = None

    def start(self) -> subprocess.Popen[bytes]:
        self._runs += 1
        self.stdout_path = self.root / f"run-{self._runs}.out"
        self.stderr_path = self.root / f"run-{self._runs}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [*INGATE, "run"], env=self.env, stdout=out, stderr=err, start_new_session=True
            )
        return self.process

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_banner(self, timeout_s: float = START_S) -> str:
        """Wait for "Ingate is running"; return the first key if one was printed."""

        def banner() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"ingate run exited early:\n{self.stderr()[-3000:]}")
            return "Ingate is running at" in self.stdout()

        wait_for(banner, timeout_s, "the banner")
        keys = [line for line in self.stdout().splitlines() if line.startswith("sk-ingate-")]
        if keys:
            self.key = keys[0]
        return self.key or ""

    def cli(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, env=self.env, timeout_s=timeout_s)

    def status(self) -> dict[str, Any]:
        done = self.cli("status", "--json")
        status: dict[str, Any] = json.loads(done.stdout)
        return status

    def service(self, name: str) -> dict[str, Any]:
        """The service's line of `ingate status --json`; empty before the supervisor has one."""
        services = self.status().get("services", [])
        service: dict[str, Any] = next((s for s in services if s["name"] == name), {})
        return service

    def pid_of(self, name: str) -> int:
        pid: int = wait_for(lambda: self.service(name).get("pid"), 120, f"{name} running")
        return pid

    def wait_ready_again(self, name: str, old_pid: int, timeout_s: float = START_S) -> int:
        def replaced() -> int | None:
            service = self.service(name)
            return service["pid"] if service.get("ready") and service["pid"] != old_pid else None

        pid: int = wait_for(replaced, timeout_s, f"{name} restarted and ready")
        return pid

    def signal_group(self, sig: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def kill_all(self) -> None:
        """The test's own safety net: nothing it started outlives it."""
        if self.process is None:
            return
        left = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in left:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
