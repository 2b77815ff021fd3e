"""Results as a text table for the terminal and as docs/benchmarks.md.

The Markdown file is regenerated above the `<!-- analysis -->` marker line;
everything from the marker on (hand-written profiling notes) is kept as it is.
"""

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from bench.load import Load
from bench.upstream import COMPLETION_BODY, STREAM_EVENTS
from bench.wrk import WrkResult

MARKER: Final = "<!-- analysis -->"
_DEFAULT_ANALYSIS: Final = (
    f"{MARKER}\n\n## Analysis\n\n"
    "_Hand-written notes (profiles, explanations) go here; `make bench` keeps this section._\n"
)

Mode = Literal["json", "stream"]
Via = Literal["direct", "edge"]

# The targets.
JSON_P50_OVERHEAD_MS: Final = 0.5
JSON_P99_OVERHEAD_MS: Final = 1.5
STREAM_OVERHEAD_MS: Final = 1.0
EDGE_RPS: Final = 3000.0
IDLE_RSS_MB: Final = 80.0
# Other processes' CPU use (% of a CPU) above which p99 means little: at c=1 a disturbance
# of 1-2% of the run already reaches the slowest 1% of requests.
NOISY_PCT: Final = 2.0


@dataclass(frozen=True)
class Measurement:
    mode: Mode
    via: Via
    connections: int
    result: WrkResult
    load: Load

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.via != "edge" or not self.result.requests:
            return None
        return self.load.edge_cpu_s / self.result.requests * 1e6

    @property
    def other_load(self) -> str:
        """Other processes' CPU use during the run, in % of the edge's CPU / of the support CPU."""
        edge, support = self.load.stranger_edge_pct, self.load.stranger_support_pct
        if edge is None or support is None:
            return "n/a"
        return f"{edge:.0f} / {support:.0f}"

    @property
    def max_other_load_pct(self) -> float:
        """The worst disturbance that matters: a direct run does not use the edge's CPU."""
        edge = (self.load.stranger_edge_pct or 0.0) if self.via == "edge" else 0.0
        return max(edge, self.load.stranger_support_pct or 0.0)


@dataclass(frozen=True)
class Machine:
    nproc: int
    cpu_model: str
    python: str
    kernel: str
    wrk: str

    @classmethod
    def detect(cls) -> "Machine":
        return cls(
            nproc=os.cpu_count() or 0,
            cpu_model=_cpu_model(),
            python=platform.python_version(),
            kernel=f"{platform.system()} {platform.release()}",
            wrk=_wrk_version(),
        )


@dataclass
class Run:
    started: dt.datetime
    machine: Machine
    pinning: str
    warmup_s: float
    duration_s: float
    connections: int
    retries: int
    modes: tuple[Mode, ...]
    measurements: list[Measurement] = field(default_factory=list)
    rss_idle_kib: int | None = None
    rss_after_kib: int | None = None

    def find(self, mode: Mode, via: Via, connections: int) -> Measurement | None:
        for m in self.measurements:
            if (m.mode, m.via, m.connections) == (mode, via, connections):
                return m
        return None

    def overhead(self, mode: Mode, connections: int) -> tuple[float, float] | None:
        """(edge p50 - direct p50, edge p99 - direct p99) in ms."""
        direct, edge = self.find(mode, "direct", connections), self.find(mode, "edge", connections)
        if direct is None or edge is None:
            return None
        return edge.result.p50_ms - direct.result.p50_ms, edge.result.p99_ms - direct.result.p99_ms


def noise_note(run: Run) -> str:
    worst = max((m.max_other_load_pct for m in run.measurements), default=0.0)
    if worst <= NOISY_PCT:
        return f"Other processes used at most {worst:.0f}% of either pinned CPU during any run."
    return (
        f"Other processes used up to {worst:.0f}% of a pinned CPU during some runs (column "
        "'other load %'): those runs' tail latencies (p90, p99) say more about the machine than "
        "about the edge. Re-run on an otherwise idle machine for p99 numbers to trust."
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    words = (done.stdout or done.stderr).split()
    return words[1] if len(words) > 1 else "unknown"


def _mb(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib * 1024 / 1e6:.1f} MB"


def _ms(value: float) -> str:
    return f"{value:.3f}"


def _signed(value: float) -> str:
    return f"{value:+.3f}"


# --- tables -------------------------------------------------------------------------------


def results_rows(run: Run) -> list[list[str]]:
    rows = []
    for m in run.measurements:
        r = m.result
        cpu = m.cpu_us_per_request
        rows.append(
            [
                m.mode,
                m.via,
                str(m.connections),
                f"{r.rps:,.0f}",
                _ms(r.p50_ms),
                _ms(r.p90_ms),
                _ms(r.p99_ms),
                "-" if cpu is None else f"{cpu:.0f}",
                m.other_load,
                str(r.errors + r.non_2xx),
            ]
        )
    return rows


RESULTS_HEADER: Final = [
    "mode",
    "path",
    "conns",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "edge CPU µs/req",
    "other load %",
    "errors",
]
OVERHEAD_HEADER: Final = ["mode", "conns", "Δp50 ms", "Δp99 ms"]
TARGETS_HEADER: Final = ["target", "measured", "result"]


def overhead_rows(run: Run) -> list[list[str]]:
    rows = []
    for mode in run.modes:
        for conns in (1, run.connections):
            found = run.overhead(mode, conns)
            if found is not None:
                rows.append([mode, str(conns), _signed(found[0]), _signed(found[1])])
    return rows


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("pass" if ok else "MISS")


def target_rows(run: Run) -> list[list[str]]:
    rows = []
    json1 = run.overhead("json", 1)
    rows.append(
        [
            f"non-stream overhead p50 ≤ {JSON_P50_OVERHEAD_MS} ms (c=1)",
            "n/a" if json1 is None else f"{json1[0]:.3f} ms",
            _verdict(None if json1 is None else json1[0] <= JSON_P50_OVERHEAD_MS),
        ]
    )
    rows.append(
        [
            f"non-stream overhead p99 ≤ {JSON_P99_OVERHEAD_MS} ms (c=1)",
            "n/a" if json1 is None else f"{json1[1]:.3f} ms",
            _verdict(None if json1 is None else json1[1] <= JSON_P99_OVERHEAD_MS),
        ]
    )
    stream1 = run.overhead("stream", 1)
    rows.append(
        [
            f"stream overhead ≤ {STREAM_OVERHEAD_MS:g} ms, last byte, p50 (c=1)",
            "n/a" if stream1 is None else f"{stream1[0]:.3f} ms",
            _verdict(None if stream1 is None else stream1[0] <= STREAM_OVERHEAD_MS),
        ]
    )
    busy = run.find("json", "edge", run.connections)
    rows.append(
        [
            f"≥ {EDGE_RPS:,.0f} req/s through one edge process (non-stream, c={run.connections})",
            "n/a" if busy is None else f"{busy.result.rps:,.0f} req/s",
            _verdict(None if busy is None else busy.result.rps >= EDGE_RPS),
        ]
    )
    idle = run.rss_idle_kib
    rows.append(
        [
            f"edge RSS ≤ {IDLE_RSS_MB:g} MB idle",
            _mb(idle),
            _verdict(None if idle is None else idle * 1024 / 1e6 <= IDLE_RSS_MB),
        ]
    )
    return rows


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


# --- outputs ------------------------------------------------------------------------------


def summary(run: Run) -> str:
    parts = [
        "Results (wrk; latency is to the last byte of the response)",
        text_table(RESULTS_HEADER, results_rows(run)),
        "",
        "Edge overhead (edge minus direct)",
        text_table(OVERHEAD_HEADER, overhead_rows(run)),
        "",
        f"Edge RSS: idle {_mb(run.rss_idle_kib)}, after load {_mb(run.rss_after_kib)}",
        "",
        "Targets",
        text_table(TARGETS_HEADER, target_rows(run)),
        "",
        noise_note(run),
    ]
    return "\n".join(parts)


def markdown(run: Run) -> str:
    machine = run.machine
    date = run.started.strftime("%Y-%m-%d %H:%M UTC")
    only = "" if run.modes == ("json", "stream") else f" --only {run.modes[0]}"
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "<!-- Generated by `make bench` (`python -m bench`): the part above the analysis marker",
            "     is rewritten on every run; hand-written notes go below the marker and are kept. -->",
            "",
            "How much the edge adds to a request, compared with calling the same upstream directly.",
            "",
            f"- Command: `make bench` (here: `python -m bench --duration {run.duration_s:g} "
            f"--connections {run.connections}{only}`)",
            f"- Date: {date}",
            "",
            "## Machine",
            "",
            markdown_table(
                ["", ""],
                [
                    ["CPUs (nproc)", str(machine.nproc)],
                    ["CPU model", machine.cpu_model],
                    ["Python", machine.python],
                    ["Kernel", machine.kernel],
                    ["wrk", machine.wrk],
                ],
            ),
            "",
            "## Method",
            "",
            "- The harness starts every process itself on loopback ports: nats-server (JetStream, "
            "temporary store), the constant upstream (`bench/upstream.py`) and one edge process "
            "(`python -m ingate_cli edge`), and stops them all at the end.",
            "- Upstream: a raw ASGI app under uvicorn (uvloop, httptools, no access log) that answers "
            f"every request with the same chat.completion JSON ({len(COMPLETION_BODY)} bytes), or, when "
            f'the body says `"stream": true`, the same {len(STREAM_EVENTS) - 1} `chat.completion.chunk` '
            "SSE events plus `data: [DONE]`, each sent as its own body message with no delay.",
            f"- Pinning: {run.pinning}.",
            "- Load: wrk, one thread, keep-alive connections, `POST /v1/chat/completions` with "
            '`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}` (plus `"stream":true` '
            "for stream), with an `Authorization: Bearer` key created in NATS for the run.",
            f"- Each measurement: {run.warmup_s:g} s warm-up run, then {run.duration_s:g} s measured. "
            f"Connections: 1 and {run.connections}. The same requests are sent directly to the upstream "
            "and through the edge.",
            "- Latency is wrk's, request sent to last response byte received; percentiles are exact "
            "(read from wrk's Lua `done` hook). Overhead = edge percentile minus direct percentile.",
            "- Edge RSS: VmRSS from /proc after readiness and before any load, and again after all runs. "
            "Edge CPU per request: user+system time of the edge process during the measured run "
            "divided by the requests completed.",
            "- Other load %: CPU time other processes on the machine used during the run, as a share of "
            "the edge's CPU / of the CPU shared by upstream, wrk and NATS (per-CPU busy time from "
            "/proc/stat minus what the harness's own processes used). A run where it exceeds "
            f"{NOISY_PCT:g}% on a CPU the run uses (direct runs do not use the edge's) is measured "
            f"again (after waiting up to 30 s for the machine to calm down), up to {run.retries} more "
            "times, and the quietest attempt is reported.",
            "",
            "## Results",
            "",
            markdown_table(RESULTS_HEADER, results_rows(run)),
            "",
            "Overhead of the edge (edge minus direct, ms):",
            "",
            markdown_table(OVERHEAD_HEADER, overhead_rows(run)),
            "",
            f"Edge RSS: {_mb(run.rss_idle_kib)} idle, {_mb(run.rss_after_kib)} after load.",
            "",
            "## Targets",
            "",
            markdown_table(TARGETS_HEADER, target_rows(run)),
            "",
            noise_note(run),
            "",
        ]
    )


def write_markdown(path: Path, run: Run) -> None:
    """Rewrite `path` above the marker line; keep the marker and everything after it."""
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    kept = _DEFAULT_ANALYSIS
    lines = old.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip() == MARKER:
            kept = "".join(lines[index:])
            break
    else:
        if old.strip():  # a file without the marker: keep all of it below a new marker
            kept = f"{MARKER}\n\n{old}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(run) + "\n" + kept, encoding="utf-8")
