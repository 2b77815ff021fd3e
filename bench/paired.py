"""Variants measured back to back in alternating order, round after round.

On a shared machine, throughput drifts by more than the few percent being judged over a
minute or two; comparing the runs of each round and taking the median over rounds
cancels that drift, where two separate benchmark runs cannot. A variant is where wrk
sends its requests, with which script, and whose CPU time counts: two keys on one edge
(`bench.limits`, `bench.capture`), or two edges built from different sources
(`python -m bench --against`). Each round measures every variant at c=32 (throughput,
and the edge's CPU time per request: what the difference costs without the queueing)
and at c=1 (latency), in the previous round's order reversed (A B, B A, A B ...), so a
linear drift within a round weighs on both sides alike.
"""

import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

from bench import wrk
from bench.load import cpu_seconds
from bench.markdown import section_main
from bench.procs import Pinning, Stack

CONNECTIONS: Final = (32, 1)
_WARMUP_S: Final = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """One side of a comparison. `cpu_pid`: the process whose CPU time per request is
    reported (None: not counted, e.g. the upstream measured directly); `connections`: the
    levels it is measured at (c=1 gives latency, any other level throughput)."""

    name: str
    url: str
    script: Path
    cpu_pid: int | None
    connections: tuple[int, ...] = CONNECTIONS


@dataclass
class Runs:
    """Per variant, one value per round: req/s and edge CPU µs per request at the concurrent
    level, p50 and p99 ms at c=1. `names`: the baseline first, the one compared with it second."""

    names: tuple[str, ...]
    rps: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    p50_ms: dict[str, list[float]] = field(default_factory=dict)
    p99_ms: dict[str, list[float]] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)  # over every run, timeouts included

    def __post_init__(self) -> None:
        for values in (self.rps, self.cpu_us, self.p50_ms, self.p99_ms):
            values.update({name: [] for name in self.names})
        self.socket_errors.update({name: 0 for name in self.names})

    def paired(self, values: dict[str, list[float]], relative: bool) -> float:
        """Median over rounds of the second variant vs the first: a ratio minus 1, or a difference."""
        base, other = self.names[:2]
        pairs = zip(values[base], values[other], strict=True)
        return statistics.median((b / a - 1.0) if relative else (b - a) for a, b in pairs)


def round_order(round_: int, items: Sequence[T]) -> tuple[T, ...]:
    """The order of round `round_` (from 0): as given in even rounds, reversed in odd ones."""
    return tuple(items) if round_ % 2 == 0 else tuple(reversed(items))


def alternate(variants: Sequence[Variant], rounds: int, seconds: int, cpus: str | None) -> Runs:
    """Warm every variant up, then measure them all `rounds` times in alternating order; wrk
    runs on `cpus`. A run with non-2xx answers stops everything: a broken variant would
    otherwise look fast. Socket errors (wrk's 5 s timeouts, resets) are counted and reported:
    on a shared machine a stall of a few seconds times out whatever was in flight."""
    runs = Runs(tuple(variant.name for variant in variants))
    for variant in variants:
        level = max(variant.connections)
        wrk.run(wrk.command(variant.url, variant.script, level, _WARMUP_S, cpus), _WARMUP_S)
    levels = sorted({level for variant in variants for level in variant.connections}, reverse=True)
    for round_ in range(rounds):
        order = round_order(round_, variants)
        for connections in levels:
            for variant in order:
                if connections in variant.connections:
                    _one(runs, variant, connections, seconds, cpus)
        print(f"round {round_ + 1}/{rounds}: {_latest(runs, variants)}", file=sys.stderr, flush=True)
    return runs


def _one(runs: Runs, variant: Variant, connections: int, seconds: int, cpus: str | None) -> None:
    before = None if variant.cpu_pid is None else cpu_seconds(variant.cpu_pid)
    result = wrk.run(wrk.command(variant.url, variant.script, connections, seconds, cpus), seconds)
    if result.non_2xx:
        raise wrk.WrkError(f"{variant.name}: {result.errors} socket errors, {result.non_2xx} non-2xx answers")
    if result.errors:
        runs.socket_errors[variant.name] += result.errors
        print(f"{variant.name} c={connections}: {result.errors} socket errors", file=sys.stderr, flush=True)
    if connections == 1:
        runs.p50_ms[variant.name].append(result.p50_ms)
        runs.p99_ms[variant.name].append(result.p99_ms)
        return
    runs.rps[variant.name].append(result.rps)
    if variant.cpu_pid is not None and before is not None:
        used = cpu_seconds(variant.cpu_pid) - before
        runs.cpu_us[variant.name].append(used * 1e6 / max(result.requests, 1))


def _latest(runs: Runs, variants: Sequence[Variant]) -> str:
    parts = []
    for variant in variants:
        name = variant.name
        figures = [f"{runs.rps[name][-1]:,.0f} req/s"] if runs.rps[name] else []
        figures += [f"p50 {runs.p50_ms[name][-1]:.3f} ms"] if runs.p50_ms[name] else []
        parts.append(f"{name} " + " ".join(figures))
    return "  ".join(parts)


def measure(
    stack: Stack, names: tuple[str, str], second_key: Callable[[Stack], str], rounds: int, seconds: int
) -> Runs:
    """Start `stack`, make the second key (the stack's own is the baseline), measure both keys
    on the one edge, stop."""
    try:
        stack.start()
        keys = {names[0]: stack.api_key, names[1]: second_key(stack)}
        url = stack.edge_url + wrk.PATH
        with tempfile.TemporaryDirectory(prefix="ingate-bench-paired-") as tmp:
            variants = []
            for name, key in keys.items():
                script = Path(tmp) / f"{name}.lua"
                script.write_text(wrk.script(wrk.JSON_BODY, key), encoding="utf-8")
                variants.append(Variant(name, url, script, stack.edge_pid))
            return alternate(variants, rounds, seconds, stack.pinning.support)
    finally:
        stack.close()


def verdict(passed: bool) -> str:
    return "pass" if passed else "**MISS**"


def two_key_table(runs: Runs, labels: tuple[str, str]) -> list[str]:
    """The table a two-key bench reports (`labels`: how its two keys are headed): p50 at c=1,
    req/s at c=32 and the edge's CPU per request, each key's median and the paired change."""
    base, other = runs.names[:2]
    median = statistics.median
    p50_added = runs.paired(runs.p50_ms, relative=False)
    rps_change = runs.paired(runs.rps, relative=True)
    cpu_added = runs.paired(runs.cpu_us, relative=False)
    return [
        f"| measure | {labels[0]} | {labels[1]} | change |",
        "|---|---:|---:|---:|",
        f"| p50 at c=1 | {median(runs.p50_ms[base]):.3f} ms | {median(runs.p50_ms[other]):.3f} ms "
        f"| {p50_added * 1000:+.0f} µs |",
        f"| req/s at c=32 | {median(runs.rps[base]):,.0f} | {median(runs.rps[other]):,.0f} "
        f"| {rps_change * 100:+.1f}% |",
        f"| edge CPU per request at c=32 | {median(runs.cpu_us[base]):.1f} µs "
        f"| {median(runs.cpu_us[other]):.1f} µs | {cpu_added:+.1f} µs |",
    ]


def two_key_main(
    prog: str,
    doc: str,
    keys: tuple[str, str],
    second_key: Callable[[Stack], str],
    section: Callable[[Runs, int, int], str],
    place: tuple[Path, str, str, str | None],
) -> None:
    """A two-key bench's command line: `--rounds`, `--seconds`, `--no-write` (bench.markdown)."""
    section_main(
        prog,
        doc,
        (("rounds", 15, None), ("seconds", 3, None)),
        lambda rounds, seconds: section(
            measure(Stack(Pinning.detect()), keys, second_key, rounds, seconds), rounds, seconds
        ),
        place,
    )
