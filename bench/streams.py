"""Streams at scale: many concurrent paced streams through one edge process, and the same load
direct to the upstream, in alternating rounds.

Each stream is `--deltas` chat chunks `--interval-ms` apart (`bench.stream_upstream`), then
`[DONE]`. The edge is pinned to one CPU; the upstream, NATS and the load generator
(`bench.stream_load`, this process) share the other. Reported per variant, as the median
over rounds: frames delivered / expected, the largest gap between two frames of a stream,
the inter-frame gap p99 and the time-to-first-token p99 (both also as added over direct,
paired per round), the edge's CPU per 1,000 frames, and the edge's RSS idle, at its
highest during the load and after it.

`--baseline TREE` runs a second edge from another source tree (e.g. a worktree of main)
beside this one, on the same CPU and the same upstream, so that A and B alternate in one
run: `python -m bench.streams --baseline /tmp/main-tree`.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import uvloop

from bench.baseline import spawn_edge
from bench.load import Load, LoadMeter
from bench.procs import HOST, ROOT, Pinning, Stack, free_port, http_status, rss_kib
from bench.stream_load import Results, StreamLoad

PATH: Final = "/v1/chat/completions"
DIRECT: Final = "direct"
THIS: Final = "edge"
BASELINE: Final = "baseline"
_WAIT_S: Final = 30.0


def request_body(include_usage: bool) -> bytes:
    options = ',"stream_options":{"include_usage":true}' if include_usage else ""
    return (
        '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true' + options + "}"
    ).encode()


def percentile(values: "array[float] | list[float]", q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Run:
    frames: int
    expected: int
    ttft_p99_ms: float
    gap_p99_ms: float
    gap_max_ms: float
    cpu_ms_per_1k: float | None
    rss_peak_mib: float | None
    stranger_pct: float | None
    errors: list[str]


@dataclass
class Edge:
    name: str
    port: int
    pid: int
    idle_mib: float = 0.0
    after_mib: float = 0.0


@dataclass
class Bench:
    args: argparse.Namespace
    stack: Stack
    edges: dict[str, Edge] = field(default_factory=dict)
    runs: dict[str, list[Run]] = field(default_factory=dict)
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def frames_per_stream(self) -> int:
        deltas: int = self.args.deltas
        return deltas + (1 if self.args.include_usage else 0) + 1

    async def one(self, name: str, port: int, api_key: str) -> Run:
        args = self.args
        load = StreamLoad(HOST, port, PATH, request_body(args.include_usage), api_key, self.frames_per_stream)
        edge = self.edges.get(name)
        meter = None
        if edge is not None:
            meter = LoadMeter(edge.pid, self.stack.pinning.edge_cpu, self.stack.pinning.support_cpu)
        before = meter.sample() if meter is not None else None
        peak = [0]
        sampling = asyncio.ensure_future(self._sample_rss(edge, peak))
        ramp = args.ramp_s if args.ramp_s is not None else (args.deltas - 1) * args.interval_ms / 1000
        try:
            results = await load.run(args.streams, args.seconds, ramp)
        finally:
            sampling.cancel()
        used = meter.since(before) if meter is not None and before is not None else None
        return _summary(results, self.frames_per_stream, used, peak[0])

    async def _sample_rss(self, edge: Edge | None, peak: list[int]) -> None:
        if edge is None:
            return
        while True:
            peak[0] = max(peak[0], rss_kib(edge.pid))
            await asyncio.sleep(0.25)

    async def rounds(self) -> None:
        variants = [DIRECT, *self.edges]
        self.runs = {name: [] for name in variants}
        for edge in self.edges.values():
            edge.idle_mib = rss_kib(edge.pid) / 1024
        await self._warm_up()
        for round_ in range(self.args.rounds):
            order = variants if round_ % 2 == 0 else variants[::-1]
            for name in order:
                port = self.stack.upstream_port if name == DIRECT else self.edges[name].port
                run = await self.one(name, port, self.stack.api_key)
                self.runs[name].append(run)
                progress = f"round {round_ + 1}/{self.args.rounds} {name}: {_line(run)}"
                print(progress, file=sys.stderr, flush=True)
        await asyncio.sleep(self.args.settle_s)
        for edge in self.edges.values():
            edge.after_mib = rss_kib(edge.pid) / 1024

    async def _warm_up(self) -> None:
        """A short light load on every edge: connections to the upstream opened, code paths warm."""
        for name, edge in self.edges.items():
            load = StreamLoad(
                HOST, edge.port, PATH, request_body(self.args.include_usage), self.stack.api_key, 0
            )
            load.frames_per_stream = self.frames_per_stream
            await load.run(min(50, self.args.streams), 1.0, 0.5)
            print(f"warmed {name}", file=sys.stderr, flush=True)


def _summary(results: Results, per_stream: int, used: Load | None, peak_kib: int) -> Run:
    cpu_ms = None
    stranger = None
    if used is not None:
        cpu_ms = used.edge_cpu_s * 1000 / max(results.frames, 1) * 1000
        stranger = used.stranger_edge_pct
    return Run(
        frames=results.frames,
        expected=(results.streams + results.bad_streams) * per_stream,
        ttft_p99_ms=percentile(results.ttft_s, 0.99) * 1000,
        gap_p99_ms=percentile(results.gaps_s, 0.99) * 1000,
        gap_max_ms=max(results.gaps_s, default=0.0) * 1000,
        cpu_ms_per_1k=cpu_ms,
        rss_peak_mib=peak_kib / 1024 if peak_kib else None,
        stranger_pct=stranger,
        errors=results.errors[:5],
    )


def _line(run: Run) -> str:
    cpu = f" cpu {run.cpu_ms_per_1k:.1f} ms/1k frames" if run.cpu_ms_per_1k is not None else ""
    return (
        f"{run.frames}/{run.expected} frames, ttft p99 {run.ttft_p99_ms:.1f} ms, gap p99 "
        f"{run.gap_p99_ms:.2f} ms max {run.gap_max_ms:.1f} ms{cpu}"
        + (f" errors {run.errors}" if run.errors else "")
    )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(bench: Bench) -> str:
    args = bench.args
    direct = bench.runs[DIRECT]
    rows = [
        f"{args.streams:,} streams x {args.deltas} deltas {args.interval_ms:g} ms apart, {args.seconds:g} s "
        f"per run, {args.rounds} rounds alternating; {bench.stack.pinning.describe()}. Medians over rounds; "
        "added = paired difference from direct in the same round.",
        "",
        "| | frames delivered / expected | max gap ms | gap p99 ms (added) | TTFT p99 ms (added) "
        "| edge CPU ms / 1,000 frames | edge RSS idle / peak / after MiB | other load on edge CPU % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in bench.runs.items():
        frames = sum(r.frames for r in runs)
        expected = sum(r.expected for r in runs)
        gap = _median([r.gap_p99_ms for r in runs])
        ttft = _median([r.ttft_p99_ms for r in runs])
        max_gap = max(r.gap_max_ms for r in runs)
        if name == DIRECT:
            cells = [f"{gap:.2f}", f"{ttft:.1f}", "—", "—", "—"]
        else:
            edge = bench.edges[name]
            added_gap = _median([r.gap_p99_ms - d.gap_p99_ms for r, d in zip(runs, direct, strict=True)])
            added_ttft = _median([r.ttft_p99_ms - d.ttft_p99_ms for r, d in zip(runs, direct, strict=True)])
            peak = max((r.rss_peak_mib or 0.0) for r in runs)
            cpu = _median([r.cpu_ms_per_1k or 0.0 for r in runs])
            stranger = _median([r.stranger_pct or 0.0 for r in runs])
            cells = [
                f"{gap:.2f} ({added_gap:+.2f})",
                f"{ttft:.1f} ({added_ttft:+.1f})",
                f"{cpu:.1f}",
                f"{edge.idle_mib:.0f} / {peak:.0f} / {edge.after_mib:.0f}",
                f"{stranger:.0f}",
            ]
        label = {DIRECT: "direct to the upstream", THIS: "edge (this tree)"}.get(name, f"edge ({name})")
        rows.append(f"| {label} | {frames:,} / {expected:,} | {max_gap:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _spawn_edge(bench: Bench, name: str, tree: Path | None) -> None:
    process, port = spawn_edge(bench.stack, name, tree)
    bench.extra.append(process)
    bench.edges[name] = Edge(name, port, process.pid)


def _paced_upstream(args: argparse.Namespace, pinning: Pinning, port: int) -> subprocess.Popen[bytes]:
    pin = ["taskset", "-c", pinning.support] if pinning.support is not None else []
    command = [sys.executable, "-m", "bench.stream_upstream", "--host", HOST, "--port", str(port)]
    command += ["--deltas", str(args.deltas), "--interval-ms", str(args.interval_ms)]
    process = subprocess.Popen([*pin, *command], cwd=ROOT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + _WAIT_S
    while http_status(f"http://{HOST}:{port}/") != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the paced upstream did not start")
        time.sleep(0.05)
    return process


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__)
    parser.add_argument("--streams", type=int, default=1000, help="concurrent streams")
    parser.add_argument("--deltas", type=int, default=64)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=8.0, help="streams start for this long, per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ramp-s", type=float, default=None, help="default: one stream's length")
    parser.add_argument("--settle-s", type=float, default=3.0, help="wait before the RSS after the load")
    parser.add_argument("--include-usage", action="store_true", help="the client asks for the usage chunk")
    parser.add_argument("--baseline", type=Path, default=None, help="a source tree to run as edge A")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    pinning = Pinning.detect()
    paced_port = free_port()
    stack = Stack(pinning, {"INGATE_OPENAI_BASE_URL": f"http://{HOST}:{paced_port}/v1"})
    bench = Bench(args, stack)
    try:
        stack.start()
        stack.upstream_port = paced_port  # "direct" is the paced upstream
        bench.extra.append(_paced_upstream(args, pinning, paced_port))
        if args.baseline is not None:
            _spawn_edge(bench, BASELINE, args.baseline.resolve())
        bench.edges[THIS] = Edge(THIS, stack.edge_port, stack.edge_pid)
        uvloop.run(bench.rounds())
    finally:
        for process in bench.extra:
            process.terminate()
            process.wait(10)
        stack.close()
    print(report(bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
