"""Results: what was measured, what it adds up to, and the tables for the terminal and docs.

`bench.markdown` turns the same tables into docs/benchmarks.md.
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
from bench.upstream import STREAM_EVENTS
from bench.wrk import WrkResult

Mode = Literal["json", "stream"]
# direct: to the upstream; edge: through the edge; translated: through the edge and the translator.
Via = Literal["direct", "edge", "translated"]
MODES: Final[tuple[Mode, ...]] = ("json", "stream")
PATHS: Final[tuple[Via, ...]] = ("direct", "edge", "translated")
# Chunks a client receives in a stream, translated or not ([DONE] not counted).
STREAM_CHUNKS: Final = len(STREAM_EVENTS) - 1

# The targets.
JSON_P50_OVERHEAD_MS: Final = 0.5
JSON_P99_OVERHEAD_MS: Final = 1.5
STREAM_OVERHEAD_MS: Final = 1.0
EDGE_RPS: Final = 3000.0
IDLE_RSS_MB: Final = 80.0
TRANSLATED_JSON_P50_MS: Final = 1.5  # added by translation, non-stream, c=1
TRANSLATED_CHUNK_P50_MS: Final = 0.3  # added by translation per stream chunk, c=1
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
    translator_cpu_s: float | None = None  # translated runs only

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.via == "direct" or not self.result.requests:
            return None
        return self.load.edge_cpu_s / self.result.requests * 1e6

    @property
    def translator_us_per_request(self) -> float | None:
        if self.translator_cpu_s is None or not self.result.requests:
            return None
        return self.translator_cpu_s / self.result.requests * 1e6

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
        edge = (self.load.stranger_edge_pct or 0.0) if self.via != "direct" else 0.0
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
    paths: tuple[Via, ...]
    only: str | None = None
    measurements: list[Measurement] = field(default_factory=list)
    rss_idle_kib: int | None = None
    rss_after_kib: int | None = None

    def find(self, mode: Mode, via: Via, connections: int) -> Measurement | None:
        for m in self.measurements:
            if (m.mode, m.via, m.connections) == (mode, via, connections):
                return m
        return None

    def overhead(
        self, mode: Mode, connections: int, via: Via = "edge", base: Via = "direct"
    ) -> tuple[float, float] | None:
        """(`via` p50 - `base` p50, `via` p99 - `base` p99) in ms: by default the edge's overhead."""
        before, after = self.find(mode, base, connections), self.find(mode, via, connections)
        if before is None or after is None:
            return None
        return after.result.p50_ms - before.result.p50_ms, after.result.p99_ms - before.result.p99_ms

    def translation(self, mode: Mode, connections: int) -> tuple[float, float] | None:
        """What translation adds: translated minus untranslated through the edge (p50, p99), ms."""
        return self.overhead(mode, connections, "translated", "edge")

    def per_chunk_ms(self) -> float | None:
        """Translation's added p50 for a stream at c=1, per chunk the client receives."""
        added = self.translation("stream", 1)
        return None if added is None else added[0] / STREAM_CHUNKS


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


def megabytes(kib: int | None) -> str:
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


def translation_rows(run: Run) -> list[list[str]]:
    rows = []
    for mode in run.modes:
        for conns in dict.fromkeys((1, run.connections)):
            translated = run.find(mode, "translated", conns)
            if translated is None:
                continue
            edge = run.find(mode, "edge", conns)
            added = run.translation(mode, conns)
            cpu = translated.translator_us_per_request
            rows.append(
                [
                    mode,
                    str(conns),
                    "n/a" if edge is None else _ms(edge.result.p50_ms),
                    _ms(translated.result.p50_ms),
                    "n/a" if added is None else _signed(added[0]),
                    "n/a" if edge is None else _ms(edge.result.p99_ms),
                    _ms(translated.result.p99_ms),
                    "n/a" if added is None else _signed(added[1]),
                    "n/a" if edge is None else f"{edge.result.rps:,.0f}",
                    f"{translated.result.rps:,.0f}",
                    "-" if cpu is None else f"{cpu:.0f}",
                ]
            )
    return rows


TRANSLATION_HEADER: Final = [
    "mode",
    "conns",
    "edge p50 ms",
    "translated p50 ms",
    "Δp50 ms",
    "edge p99 ms",
    "translated p99 ms",
    "Δp99 ms",
    "edge req/s",
    "translated req/s",
    "translator CPU µs/req",
]


def per_chunk_note(run: Run) -> str:
    added, per_chunk = run.translation("stream", 1), run.per_chunk_ms()
    if added is None or per_chunk is None:
        return "Per stream chunk: not measured."
    return f"Per stream chunk (c=1): Δp50 {added[0]:.3f} ms / {STREAM_CHUNKS} chunks = {per_chunk:.3f} ms."


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("pass" if ok else "MISS")


def _target(label: str, value: float | None, shown: str, limit: float, at_most: bool = True) -> list[str]:
    """One targets row; `shown` formats the value, e.g. "{:.3f} ms"."""
    if value is None:
        return [label, "n/a", _verdict(None)]
    return [label, shown.format(value), _verdict(value <= limit if at_most else value >= limit)]


def _first(pair: tuple[float, float] | None, index: int = 0) -> float | None:
    return None if pair is None else pair[index]


def target_rows(run: Run) -> list[list[str]]:
    json1, stream1 = run.overhead("json", 1), run.overhead("stream", 1)
    busy = run.find("json", "edge", run.connections)
    idle = run.rss_idle_kib
    added = run.translation("stream", 1)
    chunk_shown = "{:.3f} ms" + ("" if added is None else f" ({added[0]:.3f} ms / {STREAM_CHUNKS} chunks)")
    return [
        _target(
            f"non-stream overhead p50 ≤ {JSON_P50_OVERHEAD_MS} ms (c=1)",
            _first(json1),
            "{:.3f} ms",
            JSON_P50_OVERHEAD_MS,
        ),
        _target(
            f"non-stream overhead p99 ≤ {JSON_P99_OVERHEAD_MS} ms (c=1)",
            _first(json1, 1),
            "{:.3f} ms",
            JSON_P99_OVERHEAD_MS,
        ),
        _target(
            f"stream overhead ≤ {STREAM_OVERHEAD_MS:g} ms, last byte, p50 (c=1)",
            _first(stream1),
            "{:.3f} ms",
            STREAM_OVERHEAD_MS,
        ),
        _target(
            f"≥ {EDGE_RPS:,.0f} req/s through one edge process (non-stream, c={run.connections})",
            None if busy is None else busy.result.rps,
            "{:,.0f} req/s",
            EDGE_RPS,
            at_most=False,
        ),
        _target(
            f"edge RSS ≤ {IDLE_RSS_MB:g} MB idle",
            None if idle is None else idle * 1024 / 1e6,
            "{:.1f} MB",
            IDLE_RSS_MB,
        ),
        _target(
            f"translation adds ≤ {TRANSLATED_JSON_P50_MS} ms p50, non-stream (c=1)",
            _first(run.translation("json", 1)),
            "{:.3f} ms",
            TRANSLATED_JSON_P50_MS,
        ),
        _target(
            f"translation adds ≤ {TRANSLATED_CHUNK_P50_MS} ms p50 per stream chunk (c=1)",
            run.per_chunk_ms(),
            chunk_shown,
            TRANSLATED_CHUNK_P50_MS,
        ),
    ]


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
        text_table(OVERHEAD_HEADER, overhead_rows(run)) if overhead_rows(run) else "not measured",
        "",
        "Translation (translated minus untranslated, both through the edge)",
        text_table(TRANSLATION_HEADER, translation_rows(run)),
        per_chunk_note(run),
        "",
        f"Edge RSS: idle {megabytes(run.rss_idle_kib)}, after load {megabytes(run.rss_after_kib)}",
        "",
        "Targets",
        text_table(TARGETS_HEADER, target_rows(run)),
        "",
        noise_note(run),
    ]
    return "\n".join(parts)
