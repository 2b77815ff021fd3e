"""What each process of `ingate run` holds in memory: idle, right after a short load, and after.

    python -m bench.memory [--requests 3000] [--settle 10] [--no-write]

Starts the local stack as a developer does (`python -m ingate_cli run --mock`: nats-server,
the mock provider, translator, analytics with embedded ClickHouse, admin, one edge worker)
in a fresh data folder on free loopback ports, and waits until `ingate status` would say
every service is ready. Then, per process (the supervisor, and each child from the status
file), it reads /proc/<pid>/smaps_rollup: RSS (what `ps` shows), PSS (shared pages split
between the processes that map them, so PSS adds up to the stack's real footprint) and USS
(private pages only: what stopping that process would give back).

Three samples: idle (`--settle` seconds after ready), loaded (right after `--requests`
chat completions through the edge from 8 threads, each one a request record drained into
ClickHouse), and after (`--settle` seconds later again).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench.markdown import replace_section
from bench.procs import HOST, ROOT, StackError, free_port, post

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- memory:start -->", "<!-- memory:end -->"
AFTER: Final = "<!-- startup:end -->"
RUN_COMMAND: Final = (sys.executable, "-m", "ingate_cli", "run", "--mock")
_BODY: Final = '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
_KEY_LINE: Final = "Your first API key (shown once):"
_READY_TIMEOUT_S: Final = 180.0
_THREADS: Final = 8
PHASES: Final = ("idle", "loaded", "after")


@dataclass(frozen=True)
class Memory:
    """KiB, from /proc/<pid>/smaps_rollup."""

    rss: int
    pss: int
    uss: int

    def __add__(self, other: "Memory") -> "Memory":
        return Memory(self.rss + other.rss, self.pss + other.pss, self.uss + other.uss)


def memory_of(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0])
    return Memory(fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"])


class RunningStack:
    """`ingate run --mock` in a temporary data folder; `close` stops it with SIGTERM."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ingate-memory-")
        self.data_dir = Path(self._tmp.name)
        self.edge_url = f"http://{HOST}:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INGATE_", "CLICKHOUSE_"))}
        env.update(
            INGATE_DATA_DIR=str(self.data_dir),
            INGATE_EDGE_HOST=HOST,
            INGATE_EDGE_PORT=self.edge_url.rsplit(":", 1)[1],
            INGATE_ADMIN_PORT=str(free_port()),
            INGATE_NATS_URL=f"nats://{HOST}:{free_port()}",
            INGATE_RUN_START_TIMEOUT_S=str(_READY_TIMEOUT_S),
        )
        self.log_path = self.data_dir / "run.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            RUN_COMMAND,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> str:
        """The first API key, once the supervisor says the stack is running."""
        deadline = time.monotonic() + _READY_TIMEOUT_S + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(f"ingate run exited: {self.log_path.read_text()[-2000:]}")
            lines = self.log_path.read_text(errors="replace").splitlines()
            if _KEY_LINE in lines and self._status().get("state") == "running":
                return lines[lines.index(_KEY_LINE) + 1].strip()
            time.sleep(0.2)
        raise StackError("ingate run was not ready in time")

    def processes(self) -> dict[str, int]:
        """Name → pid: the supervisor, then each child of the status file."""
        found = {"supervisor": self.process.pid}
        for service in self._status().get("services", []):
            if service.get("pid"):
                found[str(service["name"])] = int(service["pid"])
        return found

    def _status(self) -> dict[str, Any]:
        try:
            status: dict[str, Any] = json.loads((self.data_dir / "run" / "status.json").read_text())
        except (OSError, ValueError):
            return {}
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._tmp.cleanup()


def load(edge_url: str, key: str, requests: int) -> int:
    """Send `requests` chat completions from a few threads; the number answered 200."""

    def one(_: int) -> bool:
        status, _body = post(f"{edge_url}/v1/chat/completions", _BODY, key, timeout_s=30)
        return status == 200

    with ThreadPoolExecutor(_THREADS) as pool:
        return sum(pool.map(one, range(requests)))


Samples = dict[str, dict[str, Memory]]  # phase → process name → memory


def measure(requests: int, settle_s: float) -> tuple[Samples, int]:
    stack = RunningStack()
    try:
        key = stack.wait_ready()
        samples: Samples = {}
        time.sleep(settle_s)
        samples["idle"] = {name: memory_of(pid) for name, pid in stack.processes().items()}
        answered = load(stack.edge_url, key, requests)
        samples["loaded"] = {name: memory_of(pid) for name, pid in stack.processes().items()}
        time.sleep(settle_s)
        samples["after"] = {name: memory_of(pid) for name, pid in stack.processes().items()}
        return samples, answered
    finally:
        stack.close()


def _mb(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def table(samples: Samples) -> str:
    names = list(samples["idle"])
    header = "| process | idle RSS | idle PSS | idle USS | loaded RSS | loaded PSS | after RSS | after PSS |"
    rows = [header, "|---" * 8 + "|"]
    totals = {phase: sum(samples[phase].values(), Memory(0, 0, 0)) for phase in PHASES}
    for name in [*names, "total"]:
        none = Memory(0, 0, 0)
        idle, loaded, after = (totals[p] if name == "total" else samples[p].get(name, none) for p in PHASES)
        label = "**total**" if name == "total" else f"`{name}`"
        cells = [idle.rss, idle.pss, idle.uss, loaded.rss, loaded.pss, after.rss, after.pss]
        rows.append(f"| {label} | " + " | ".join(_mb(c) for c in cells) + " |")
    return "\n".join(rows)


def section(samples: Samples, requests: int, answered: int, settle_s: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            START,
            "## Memory",
            "",
            f"- Command: `python -m bench.memory --requests {requests} --settle {settle_s:g}` "
            "(part of `make bench`)",
            f"- Date: {when}; `ingate run --mock` in a fresh data folder; MB (MiB) from "
            "`/proc/<pid>/smaps_rollup`. Idle: "
            f"{settle_s:g} s after every service is ready. Loaded: right after {requests:,} chat "
            f"completions through the edge from {_THREADS} threads ({answered:,} answered 200). After: "
            f"{settle_s:g} s later. PSS splits shared pages between the processes mapping them, so the "
            "PSS total is the stack's footprint; the RSS total counts shared pages once per process.",
            "",
            table(samples),
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait before a sample")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave the docs alone")
    args = parser.parse_args()
    samples, answered = measure(args.requests, args.settle)
    text = section(samples, args.requests, answered, args.settle)
    print(text)
    if not args.no_write:
        replace_section(DOC, START, END, text, after=AFTER)


if __name__ == "__main__":
    main()
