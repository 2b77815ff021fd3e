"""What the limiter costs the edge: one stack, two keys, measured in alternation.

    python -m bench.limits [--rounds 15] [--seconds 3] [--no-write]

One key has no limits; the other has rpm, tpm and a monthly budget all far too high to
refuse (so every check runs and none refuses). Each round measures both keys back to
back, in alternating order, against the same edge process (bench/paired.py says why). The
edge's CPU time per request is reported alongside: it is what the limiter adds, without the
queueing.
"""

import asyncio
import statistics
import time
from typing import Final

from bench.markdown import section_main
from bench.paired import Runs, measure, verdict
from bench.procs import ROOT, UNREACHED_LIMITS, Pinning, Stack, create_key

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- limits:start -->", "<!-- limits:end -->"
KEYS: Final = ("plain", "limited")


def _limited_key(stack: Stack) -> str:
    return asyncio.run(create_key(stack.nats.url, UNREACHED_LIMITS))


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
            f"| {p50_added * 1000:+.0f} µs | ≤ +50 µs — {verdict(p50_added <= 0.05)} |",
            f"| req/s at c=32 | {median(runs.rps['plain']):,.0f} | {median(runs.rps['limited']):,.0f} "
            f"| {rps_change * 100:+.1f}% | drop ≤ 5% — {verdict(rps_change >= -0.05)} |",
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
        lambda rounds, seconds: section(
            measure(Stack(Pinning.detect()), KEYS, _limited_key, rounds, seconds), rounds, seconds
        ),
        (DOC, START, END, None),
    )


if __name__ == "__main__":
    main()
