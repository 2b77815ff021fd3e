"""How long Ingate's services take to start: importing the edge, and process start to ready.

    python -m bench.startup [--runs 5] [--no-write]

1. Import: a fresh `python -c` that times `import ingate_edge.server` with
   `time.perf_counter()` (what `ingate edge` imports before it builds the app).
2. Time to ready: one nats-server (JetStream, temporary store) for the whole run; then,
   for each of `ingate edge`, `ingate translator` and `ingate analytics` (embedded
   ClickHouse), the time from starting the process (`python -m ingate_cli …`) to its first
   `GET /readyz` answered 200 (polled every 10 ms): the edge's own port, the operations
   listener (`INGATE_TELEMETRY_METRICS_PORT`) for the other two. Analytics keeps its data
   folder between runs, as a restarted service does; a first, untimed run creates it.

Warm: the files were just read by the untimed run before. Cold: before each run, every
file of the virtual environment, of the interpreter's standard library and of the
repository's `libs/` and `services/` is dropped from the page cache with
`posix_fadvise(POSIX_FADV_DONTNEED)` (no privileges needed; pages another process has
mapped stay). Each figure is the median of `--runs` runs, min and max beside it.
"""

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.markdown import replace_section
from bench.procs import HOST, ROOT, free_port, http_status
from ingate_nats import NatsServer

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- startup:start -->", "<!-- startup:end -->"
IMPORTED: Final = "ingate_edge.server"
_IMPORT_SCRIPT: Final = (
    f"import time; t = time.perf_counter(); import {IMPORTED}; print(time.perf_counter() - t)"
)
SERVICES: Final = ("edge", "translator", "analytics")
_POLL_S: Final = 0.01
_READY_TIMEOUT_S: Final = 120.0


def evict_page_cache(roots: Iterable[Path]) -> int:
    """Drop every regular file under `roots` from the page cache; the number of files."""
    count = 0
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                try:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                finally:
                    os.close(fd)
    return count


def cold_roots() -> list[Path]:
    return [
        Path(sys.prefix),
        Path(sys.base_prefix) / "lib",
        ROOT / "libs",
        ROOT / "services",
    ]


@dataclass(frozen=True)
class Series:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self) -> str:
        if not self.values:
            return "—"
        return f"{self.median:.2f} s ({min(self.values):.2f} / {max(self.values):.2f})"


def _series(measure: Callable[[], float], runs: int, cold: bool) -> Series:
    measure()  # untimed: the files read once, the service's data folder created
    values = []
    for _ in range(runs):
        if cold:
            evict_page_cache(cold_roots())
        values.append(measure())
    return Series(values)


def import_seconds() -> float:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


class Starter:
    """Starts one service against a shared nats-server and times it until /readyz says 200."""

    def __init__(self, nats_url: str, workdir: Path) -> None:
        self.nats_url = nats_url
        self.workdir = workdir

    def _env(self, service: str, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INGATE_", "CLICKHOUSE_", "OTEL_"))}
        env.update(
            {
                "INGATE_NATS_URL": self.nats_url,
                "INGATE_DATA_DIR": str(self.workdir / service),
                "INGATE_LOG_LEVEL": "WARNING",
            }
        )
        if service == "edge":
            env.update({"INGATE_EDGE_HOST": HOST, "INGATE_EDGE_PORT": str(port)})
        else:
            env["INGATE_TELEMETRY_METRICS_PORT"] = str(port)
        return env

    def seconds_to_ready(self, service: str) -> float:
        port = free_port()
        url = f"http://{HOST}:{port}/readyz"
        log = (self.workdir / f"{service}.log").open("ab")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "ingate_cli", service],
            cwd=ROOT,
            env=self._env(service, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            while http_status(url) != 200:
                if process.poll() is not None:
                    tail = Path(log.name).read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{service} exited with {process.returncode}:\n{tail}")
                if time.perf_counter() - started > _READY_TIMEOUT_S:
                    raise RuntimeError(f"{service} not ready within {_READY_TIMEOUT_S:g} s")
                time.sleep(_POLL_S)
            return time.perf_counter() - started
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            log.close()


@dataclass(frozen=True)
class Results:
    imports: dict[str, Series]  # "warm" / "cold"
    ready: dict[tuple[str, str], Series]  # (service, "warm" / "cold")
    runs: int


def measure(runs: int, services: Iterable[str] = SERVICES) -> Results:
    imports = {mode: _series(import_seconds, runs, mode == "cold") for mode in ("warm", "cold")}
    ready: dict[tuple[str, str], Series] = {}
    with tempfile.TemporaryDirectory(prefix="ingate-bench-startup-") as tmp:
        workdir = Path(tmp)
        nats = NatsServer(HOST, free_port(), workdir / "nats")
        nats.start()
        try:
            starter = Starter(nats.url, workdir)
            for service in services:
                for mode in ("warm", "cold"):
                    ready[(service, mode)] = _series(
                        functools.partial(starter.seconds_to_ready, service), runs, mode == "cold"
                    )
        finally:
            nats.stop()
    return Results(imports, ready, runs)


def section(results: Results) -> str:
    rows = [
        f"| `import {IMPORTED}` | {results.imports['warm'].cell()} | {results.imports['cold'].cell()} |",
    ]
    for service in SERVICES:
        if (service, "warm") in results.ready:
            warm, cold = results.ready[(service, "warm")], results.ready[(service, "cold")]
            rows.append(f"| `ingate {service}` start → /readyz 200 | {warm.cell()} | {cold.cell()} |")
    return "\n".join(
        [
            START,
            "## Start-up",
            "",
            f"- Command: `python -m bench.startup --runs {results.runs}` (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; unpinned; median of "
            f"{results.runs} runs (min / max). Import: a fresh interpreter timing `import {IMPORTED}`. "
            "Start → ready: from starting `python -m ingate_cli <service>` to the first 200 from its "
            "`/readyz` (the edge's port; the operations listener for translator and analytics), "
            "against a running nats-server; analytics with embedded ClickHouse and an existing data "
            "folder. Cold: the virtual environment, the standard library and the repository's "
            "sources dropped from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`) before each "
            "run; on a virtual machine the host may still cache the disk, so cold here is a lower bound.",
            "",
            "| measure | warm | cold |",
            "|---|---|---|",
            *rows,
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=SERVICES, action="append", help="time-to-ready for these only")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs, args.only or SERVICES)
    print(section(results))
    if not args.no_write and args.only is None:
        replace_section(DOC, START, END, section(results))


if __name__ == "__main__":
    main()
