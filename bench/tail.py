"""Tail latency at c=1: one JSON request at a time through the edge, and direct to the upstream,
in alternating rounds; with `--baseline TREE` a second edge from another source tree
alternates with this one in the same run.

What is compared is wrk's exact p50 / p99 / max per run (`bench.wrk`) and the p99 the edge
adds over direct, paired per round; the edge's CPU share taken by other processes is shown
beside it, since at c=1 a few ms of someone else's work reach the slowest 1 %.

`python -m bench.tail --baseline /tmp/main-tree --rounds 5 --seconds 10`
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import wrk
from bench.baseline import spawn_edge
from bench.load import LoadMeter
from bench.procs import HOST, Pinning, Stack

DIRECT: Final = "direct"
THIS: Final = "edge"
BASELINE: Final = "baseline"
_WARMUP_S: Final = 3


@dataclass(frozen=True)
class Run:
    p50_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    stranger_pct: float | None


def _measure(stack: Stack, url: str, script: Path, seconds: int, pid: int | None) -> Run:
    meter = None if pid is None else LoadMeter(pid, stack.pinning.edge_cpu, stack.pinning.support_cpu)
    before = meter.sample() if meter is not None else None
    result = wrk.run(wrk.command(url, script, 1, seconds, stack.pinning.support), seconds)
    if result.errors or result.non_2xx:
        raise wrk.WrkError(f"{url}: {result.errors} socket errors, {result.non_2xx} non-2xx answers")
    stranger = meter.since(before).stranger_edge_pct if meter is not None and before is not None else None
    return Run(result.p50_ms, result.p99_ms, result.max_ms, result.rps, stranger)


def measure(args: argparse.Namespace) -> tuple[Stack, dict[str, list[Run]]]:
    stack = Stack(Pinning.detect())
    extra: list[subprocess.Popen[bytes]] = []
    runs: dict[str, list[Run]] = {}
    try:
        stack.start()
        targets: dict[str, tuple[str, int | None]] = {DIRECT: (stack.upstream_url, None)}
        if args.baseline is not None:
            process, port = spawn_edge(stack, BASELINE, args.baseline.resolve())
            extra.append(process)
            targets[BASELINE] = (f"http://{HOST}:{port}", process.pid)
        for variant in args.variant:
            name, _, assignment = variant.partition(":")
            key, _, value = assignment.partition("=")
            process, port = spawn_edge(stack, name, None, {key: value})
            extra.append(process)
            targets[name] = (f"http://{HOST}:{port}", process.pid)
        targets[THIS] = (stack.edge_url, stack.edge_pid)
        runs = {name: [] for name in targets}
        with tempfile.TemporaryDirectory(prefix="ingate-bench-tail-") as tmp:
            script = Path(tmp) / "json.lua"
            script.write_text(wrk.script(wrk.JSON_BODY, stack.api_key), encoding="utf-8")
            for base, _ in targets.values():
                wrk.run(wrk.command(base + wrk.PATH, script, 8, _WARMUP_S, stack.pinning.support), _WARMUP_S)
            names = list(targets)
            for round_ in range(args.rounds):
                for name in names if round_ % 2 == 0 else names[::-1]:
                    base, pid = targets[name]
                    run = _measure(stack, base + wrk.PATH, script, args.seconds, pid)
                    runs[name].append(run)
                    print(
                        f"round {round_ + 1}/{args.rounds} {name}: p50 {run.p50_ms:.3f} p99 {run.p99_ms:.3f} "
                        f"max {run.max_ms:.2f} ms, other load {run.stranger_pct or 0:.1f} %",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        for process in extra:
            process.terminate()
            process.wait(10)
        stack.close()
    return stack, runs


def report(args: argparse.Namespace, stack: Stack, runs: dict[str, list[Run]]) -> str:
    direct = runs[DIRECT]
    rows = [
        f"c=1 JSON, {args.seconds} s per run, {args.rounds} rounds alternating; {stack.pinning.describe()}. "
        "Medians over rounds; added = paired difference from direct in the same round.",
        "",
        "| | req/s | p50 ms (added) | p99 ms (added) | max ms | other load on edge CPU % |",
        "|---|---|---|---|---|---|",
    ]
    for name, series in runs.items():
        p50 = statistics.median(r.p50_ms for r in series)
        p99 = statistics.median(r.p99_ms for r in series)
        rps = statistics.median(r.rps for r in series)
        top = max(r.max_ms for r in series)
        if name == DIRECT:
            cells = [f"{p50:.3f}", f"{p99:.3f}", f"{top:.2f}", "—"]
        else:
            pairs = list(zip(series, direct, strict=True))
            added50 = statistics.median(r.p50_ms - d.p50_ms for r, d in pairs)
            added99 = statistics.median(r.p99_ms - d.p99_ms for r, d in pairs)
            stranger = statistics.median(r.stranger_pct or 0.0 for r in series)
            cells = [f"{p50:.3f} ({added50:+.3f})", f"{p99:.3f} ({added99:+.3f})"]
            cells += [f"{top:.2f}", f"{stranger:.1f}"]
        label = {DIRECT: "direct to the upstream", THIS: "edge (this tree)"}.get(name, f"edge ({name})")
        rows.append(f"| {label} | {rps:,.0f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tail", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--baseline", type=Path, default=None, help="a source tree to run as edge A")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE",
        help="another edge of this tree with one more environment variable, e.g. "
        "no-publish:INGATE_EVENTS_PUBLISH=false",
    )
    args = parser.parse_args(argv)
    stack, runs = measure(args)
    print(report(args, stack, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
