"""What pricing a request costs: a model's first lookup in the catalog, and a memoized cost call.

    python -m bench.prices [--rounds 15] [--calls 100000] [--no-write]

In-process, no services: `PriceTable.cost` for a mix of catalog models (dated snapshots, both
hosted formats, a tiered model, a local model the catalog has no price for) with a usage that
has every token kind. First lookup: each model's first `cost` call on a new table, after the
catalog itself is loaded (its load, once per process, is reported apart). Memoized: `--calls`
calls cycling through the same models on a table that has seen them; the per-call time
includes the loop that makes the calls, so it slightly overstates the call. Medians over rounds.
"""

import functools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bench.markdown import section_main
from bench.procs import ROOT
from ingate_pricing import PriceTable
from ingate_providers import Usage

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- prices:start -->", "<!-- prices:end -->"
MODELS: Final = (
    ("gpt-4o", "openai"),
    ("gpt-4o-2024-08-06", "openai"),
    ("gpt-4.1-mini", "openai"),
    ("o3", "openai"),
    ("claude-sonnet-4-20250514", "anthropic"),
    ("claude-sonnet-4-5", "anthropic"),
    ("gemini-2.5-pro", "openai"),
    ("llama3.2", "ollama"),
)
USAGE: Final = Usage(
    input_tokens=12_000,
    output_tokens=900,
    cache_read_tokens=8_000,
    cache_write_tokens=2_000,
    cache_write_1h_tokens=500,
    reasoning_tokens=300,
)
TARGET_US: Final = 2.0


@dataclass
class Runs:
    """Per round: µs of a first lookup (mean over the models) and of a memoized call."""

    catalog_load_ms: float = 0.0
    first_us: list[float] = field(default_factory=list)
    memoized_us: list[float] = field(default_factory=list)


def _elapsed_us(call: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1000


def _first_lookups() -> float:
    """Mean µs of each model's first cost call on a table that has resolved none."""
    table = PriceTable.shipped()
    firsts = (_elapsed_us(functools.partial(table.cost, model, USAGE, fmt)) for model, fmt in MODELS)
    return statistics.fmean(firsts)


def _memoized(calls: int) -> float:
    """µs per cost call on a table that has resolved every model."""
    table = PriceTable.shipped()
    for model, fmt in MODELS:
        table.cost(model, USAGE, fmt)
    sequence = [MODELS[i % len(MODELS)] for i in range(calls)]
    cost = table.cost
    started = time.perf_counter_ns()
    for model, fmt in sequence:
        cost(model, USAGE, fmt)
    return (time.perf_counter_ns() - started) / 1000 / calls


def measure(rounds: int, calls: int) -> Runs:
    runs = Runs()
    # The very first lookup in a process loads the catalog's data; every later table shares it.
    runs.catalog_load_ms = _elapsed_us(lambda: PriceTable.shipped().price(*MODELS[0])) / 1000
    for round_ in range(rounds):
        runs.first_us.append(_first_lookups())
        runs.memoized_us.append(_memoized(calls))
        print(
            f"round {round_ + 1}/{rounds}: first lookup {runs.first_us[-1]:.1f} µs,"
            f" memoized {runs.memoized_us[-1]:.3f} µs",
            file=sys.stderr,
            flush=True,
        )
    return runs


def section(runs: Runs, rounds: int, calls: int) -> str:
    median = statistics.median
    memoized = median(runs.memoized_us)
    names = ", ".join(f"`{model}` ({fmt})" for model, fmt in MODELS)
    return "\n".join(
        [
            START,
            "### Pricing a request (issue 13 target)",
            "",
            f"- Command: `python -m bench.prices --rounds {rounds} --calls {calls}` (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; in-process, no services.",
            f"- `PriceTable.cost(model, usage, fmt)` for {names}, with a usage of every token kind"
            f" ({USAGE.input_tokens:,} input of which {USAGE.cache_read_tokens:,} cache reads and"
            f" {USAGE.cache_write_tokens:,} cache writes, {USAGE.output_tokens:,} output of which"
            f" {USAGE.reasoning_tokens:,} reasoning).",
            "- First lookup: each model's first call on a new table (the catalog already loaded),"
            f" mean over the models. Memoized: {calls:,} calls cycling through the models on a table"
            " that has resolved them, loop included. Medians over rounds, range beside them.",
            "",
            "| measure | median | range | target |",
            "|---|---:|---:|---|",
            f"| loading the catalog (first lookup in a process) | {runs.catalog_load_ms:.0f} ms | | |",
            f"| first lookup of a model | {median(runs.first_us):.1f} µs"
            f" | {min(runs.first_us):.1f} … {max(runs.first_us):.1f} µs | |",
            f"| memoized cost call | {memoized:.3f} µs"
            f" | {min(runs.memoized_us):.3f} … {max(runs.memoized_us):.3f} µs"
            f" | ≤ {TARGET_US:g} µs — {'pass' if memoized <= TARGET_US else '**MISS**'} |",
            END,
        ]
    )


def main() -> None:
    section_main(
        "python -m bench.prices",
        __doc__ or "",
        (("rounds", 15, None), ("calls", 100_000, "memoized cost calls per round")),
        lambda rounds, calls: section(measure(rounds, calls), rounds, calls),
        (DOC, START, END, None),
    )


if __name__ == "__main__":
    main()
