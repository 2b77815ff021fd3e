"""What one `python -m bench` run measured, and what it adds up to; the targets it is judged by.

`bench.report` and `bench.translated_report` turn it into tables.
"""

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench.cases import DIRECT, EDGE, TRANSLATED, Case, Mode
from bench.load import Load
from bench.replies import STREAM_EVENTS
from bench.wrk import WrkResult

# Chunks an OpenAI chat client receives in a stream, translated or not ([DONE] not counted).
STREAM_CHUNKS: Final = len(STREAM_EVENTS) - 1

# The targets.
JSON_P50_OVERHEAD_MS: Final = 0.5
JSON_P99_OVERHEAD_MS: Final = 1.5
STREAM_OVERHEAD_MS: Final = 1.0
EDGE_RPS: Final = 3000.0
IDLE_RSS_MB: Final = 80.0
TRANSLATED_JSON_P50_MS: Final = 1.5  # added by translation, non-stream, c=1, every pair
TRANSLATED_CHUNK_P50_MS: Final = 0.3  # added by translation per stream chunk, c=1, every pair
# Other processes' CPU use (% of a CPU) above which p99 means little: at c=1 a disturbance
# of 1-2% of the run already reaches the slowest 1% of requests.
NOISY_PCT: Final = 2.0


@dataclass(frozen=True)
class Measurement:
    mode: Mode
    case: Case
    connections: int
    result: WrkResult
    load: Load
    translator_cpu_s: float | None = None  # translated runs only

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.case.via == "direct" or not self.result.requests:
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
        edge = (self.load.stranger_edge_pct or 0.0) if self.case.via != "direct" else 0.0
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
    cases: tuple[Case, ...]
    only: str | None = None
    measurements: list[Measurement] = field(default_factory=list)
    rss_idle_kib: int | None = None
    rss_after_kib: int | None = None
    # Stream chunks the client received, per case (counted on the check before any load).
    chunks: dict[Case, int] = field(default_factory=dict)
    # Cases this build cannot serve (the edge refused the check request), and its answer.
    unavailable: dict[Case, str] = field(default_factory=dict)

    def find(self, mode: Mode, case: Case, connections: int) -> Measurement | None:
        for m in self.measurements:
            if (m.mode, m.case, m.connections) == (mode, case, connections):
                return m
        return None

    def overhead(
        self, mode: Mode, connections: int, via: Case = EDGE, base: Case = DIRECT
    ) -> tuple[float, float] | None:
        """(`via` p50 - `base` p50, `via` p99 - `base` p99) in ms: by default the edge's overhead."""
        before, after = self.find(mode, base, connections), self.find(mode, via, connections)
        if before is None or after is None:
            return None
        return after.result.p50_ms - before.result.p50_ms, after.result.p99_ms - before.result.p99_ms

    def translation(
        self, mode: Mode, connections: int, case: Case = TRANSLATED
    ) -> tuple[float, float] | None:
        """What translation adds: translated minus untranslated through the edge (p50, p99), ms."""
        return self.overhead(mode, connections, case, case.baseline)

    def per_chunk_ms(self, case: Case = TRANSLATED) -> float | None:
        """Translation's added p50 for a stream at c=1, per chunk the client receives."""
        added = self.translation("stream", 1, case)
        return None if added is None else added[0] / self.chunks.get(case, STREAM_CHUNKS)


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
