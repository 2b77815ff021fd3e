"""What the limiter costs the edge: one stack, two keys, measured in alternation.

    python -m bench.limits [--rounds 15] [--seconds 3] [--no-write]

One key has no limits; the other has rpm, tpm and a monthly budget all far too high to
refuse (so every check runs and none refuses). Each round measures both keys back to
back, in alternating order, at c=32 (throughput) and c=1 (latency), against the same edge
process. On a shared machine, throughput drifts by more than the 5% being judged over a
minute or two; comparing the two runs of each round and taking the median over rounds
cancels that drift, where two separate benchmark runs cannot. The edge's CPU time per
request is reported alongside: it is what the limiter adds, without the queueing.
"""

import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench import wrk
from bench.load import cpu_seconds
from bench.markdown import section_main
from bench.procs import ROOT, UNREACHED_LIMITS, Pinning, Stack, create_key

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- limits:start -->", "<!-- limits:end -->"
KEYS: Final = ("plain", "limited")
CONNECTIONS: Final = (32, 1)
_WARMUP_S: Final = 3


@dataclass
class Runs:
    """Per key: req/s at c=32, edge CPU µs per request at c=32, p50 ms at c=1; one per round."""

    rps: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in KEYS})
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in KEYS})
    p50_ms: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in KEYS})

    def paired(self, values: dict[str, list[float]], relative: bool) -> float:
        """Median over rounds of limited vs plain: a ratio minus 1, or a difference."""
        pairs = zip(values["plain"], values["limited"], strict=True)
        return statistics.median((b / a - 1.0) if relative else (b - a) for a, b in pairs)


def measure(rounds: int, seconds: int) -> Runs:
    stack = Stack(Pinning.detect())
    runs = Runs()
    try:
        stack.start()
        keys = {"plain": stack.api_key, "limited": asyncio.run(create_key(stack.nats.url, UNREACHED_LIMITS))}
        url = stack.edge_url + wrk.PATH
        with tempfile.TemporaryDirectory(prefix="ingate-bench-limits-") as tmp:
            scripts = {}
            for name, key in keys.items():
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(wrk.script(wrk.JSON_BODY, key), encoding="utf-8")
            for name in KEYS:
                wrk.run(wrk.command(url, scripts[name], 32, _WARMUP_S, stack.pinning.support), _WARMUP_S)
            for round_ in range(rounds):
                order = KEYS if round_ % 2 == 0 else KEYS[::-1]
                for connections in CONNECTIONS:
                    for name in order:
                        _one(stack, runs, name, scripts[name], url, connections, seconds)
                latest = (f"{n} {runs.rps[n][-1]:,.0f} req/s {runs.p50_ms[n][-1]:.3f} ms" for n in KEYS)
                print(
                    f"round {round_ + 1}/{rounds}: " + "  ".join(latest),
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        stack.close()
    return runs


def _one(stack: Stack, runs: Runs, name: str, script: Path, url: str, connections: int, seconds: int) -> None:
    before = cpu_seconds(stack.edge_pid)
    result = wrk.run(wrk.command(url, script, connections, seconds, stack.pinning.support), seconds)
    if result.errors or result.non_2xx:
        raise wrk.WrkError(f"{name}: {result.errors} socket errors, {result.non_2xx} non-2xx answers")
    if connections == 1:
        runs.p50_ms[name].append(result.p50_ms)
        return
    runs.rps[name].append(result.rps)
    runs.cpu_us[name].append((cpu_seconds(stack.edge_pid) - before) * 1e6 / max(result.requests, 1))


def _verdict(passed: bool) -> str:
    return "pass" if passed else "**MISS**"


def section(runs: Runs, rounds: int, seconds: int) -> str:
    rps_change = runs.paired(runs.rps, relative=True)
    p50_added = runs.paired(runs.p50_ms, relative=False)
    cpu_added = runs.paired(runs.cpu_us, relative=False)
    median = statistics.median
    return "\n".join(
        [
            START,
            "### Limiter, measured in alternation (issue 5 targets)",
            "",
            f"- Command: `python -m bench.limits --rounds {rounds} --seconds {seconds}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one stack, a key without limits"
            " and a key with rpm 10⁹, tpm 10¹² and a 10⁹ USD budget, measured back to back in each round"
            " (order alternating); figures are medians over rounds of the per-round comparison.",
            "",
            "| measure | no limits | limits on | change | target |",
            "|---|---:|---:|---:|---|",
            f"| p50 at c=1 | {median(runs.p50_ms['plain']):.3f} ms | {median(runs.p50_ms['limited']):.3f} ms "
            f"| {p50_added * 1000:+.0f} µs | ≤ +50 µs — {_verdict(p50_added <= 0.05)} |",
            f"| req/s at c=32 | {median(runs.rps['plain']):,.0f} | {median(runs.rps['limited']):,.0f} "
            f"| {rps_change * 100:+.1f}% | drop ≤ 5% — {_verdict(rps_change >= -0.05)} |",
            f"| edge CPU per request at c=32 | {median(runs.cpu_us['plain']):.1f} µs "
            f"| {median(runs.cpu_us['limited']):.1f} µs | {cpu_added:+.1f} µs | |",
            END,
        ]
    )


def main() -> None:
    section_main(
        "python -m bench.limits",
        __doc__ or "",
        (("rounds", 15, None), ("seconds", 3, None)),
        lambda rounds, seconds: section(measure(rounds, seconds), rounds, seconds),
        (DOC, START, END, None),
    )


if __name__ == "__main__":
    main()
