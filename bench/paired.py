"""Two keys on one edge, measured back to back in alternating order, round after round.

On a shared machine, throughput drifts by more than the few percent being judged over a
minute or two; comparing the two runs of each round and taking the median over rounds
cancels that drift, where two separate benchmark runs cannot. Each round measures both
keys at c=32 (throughput, and the edge's CPU time per request: what the difference costs
without the queueing) and at c=1 (latency). `bench.limits` and `bench.capture` differ only
in what the second key has.
"""

import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench import wrk
from bench.load import cpu_seconds
from bench.procs import Stack

CONNECTIONS: Final = (32, 1)
_WARMUP_S: Final = 3


@dataclass
class Runs:
    """Per key: req/s at c=32, edge CPU µs per request at c=32, p50 ms at c=1; one per round.
    `names`: the baseline key first, the one compared with it second."""

    names: tuple[str, str]
    rps: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    p50_ms: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for values in (self.rps, self.cpu_us, self.p50_ms):
            values.update({name: [] for name in self.names})

    def paired(self, values: dict[str, list[float]], relative: bool) -> float:
        """Median over rounds of the second key vs the baseline: a ratio minus 1, or a difference."""
        base, other = self.names
        pairs = zip(values[base], values[other], strict=True)
        return statistics.median((b / a - 1.0) if relative else (b - a) for a, b in pairs)


def measure(
    stack: Stack, names: tuple[str, str], second_key: Callable[[Stack], str], rounds: int, seconds: int
) -> Runs:
    """Start `stack`, make the second key (the stack's own is the baseline), measure, stop."""
    runs = Runs(names)
    try:
        stack.start()
        keys = {names[0]: stack.api_key, names[1]: second_key(stack)}
        url = stack.edge_url + wrk.PATH
        with tempfile.TemporaryDirectory(prefix="ingate-bench-paired-") as tmp:
            scripts = {}
            for name, key in keys.items():
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(wrk.script(wrk.JSON_BODY, key), encoding="utf-8")
            for name in names:
                wrk.run(wrk.command(url, scripts[name], 32, _WARMUP_S, stack.pinning.support), _WARMUP_S)
            for round_ in range(rounds):
                order = names if round_ % 2 == 0 else names[::-1]
                for connections in CONNECTIONS:
                    for name in order:
                        _one(stack, runs, name, scripts[name], url, connections, seconds)
                latest = (f"{n} {runs.rps[n][-1]:,.0f} req/s {runs.p50_ms[n][-1]:.3f} ms" for n in names)
                print(f"round {round_ + 1}/{rounds}: " + "  ".join(latest), file=sys.stderr, flush=True)
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


def verdict(passed: bool) -> str:
    return "pass" if passed else "**MISS**"
