"""What routes cost the edge: one stack, plain requests and routed ones, measured in alternation.

    python -m bench.routing [--rounds 11] [--seconds 3] [--no-write]

The edge gets two routes: `one` (a single target, the same provider and model a plain
request reaches) and `failover` (a provider whose upstream answers OpenAI's 500 at once,
then the same target as a fallback, with no cooldown so that the failing provider is tried
on every request). Each round runs every variant back to back, in alternating order: at
c=32 for the edge's CPU time per request, at c=1 for latency. The failed attempt itself is
measured directly against the upstream in the same rounds, so what failover adds beyond it
is the failover p50 minus the plain p50 minus the direct failed attempt's p50. As in
bench.limits, comparing within each round and taking the median over rounds cancels the
drift of a shared machine.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench import wrk
from bench.load import cpu_seconds
from bench.markdown import replace_section
from bench.procs import ROOT, Pinning, Stack, StackError, post_with_headers
from bench.upstream import FAIL_PREFIX

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- routing:start -->", "<!-- routing:end -->"
MODEL: Final = "gpt-4o"
ROUTES: Final = [
    {"name": "one", "targets": [{"provider": "openai", "model": MODEL}]},
    {
        "name": "failover",
        "targets": [{"provider": "broken", "model": MODEL}],
        "fallbacks": [{"provider": "openai", "model": MODEL}],
        "cooldown_s": 0,
    },
]
# Variant → the model the request names; `fail` is the failed attempt alone, sent to the upstream.
MODELS: Final = {"plain": MODEL, "one": "one", "failover": "failover", "fail": MODEL}
EDGE_VARIANTS: Final = ("plain", "one", "failover")
LATENCY_VARIANTS: Final = (*EDGE_VARIANTS, "fail")
_WARMUP_S: Final = 3
_CHECKS: Final = 5  # sequential failover requests looked at before measuring


@dataclass
class Runs:
    """Per variant, one value per round: edge CPU µs/request at c=32 and at c=1, p50 and p99 ms at c=1."""

    cpu32_us: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in EDGE_VARIANTS})
    cpu1_us: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in EDGE_VARIANTS})
    p50_ms: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in LATENCY_VARIANTS})
    p99_ms: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in LATENCY_VARIANTS})

    def differences(self, values: dict[str, list[float]], minus: str, *variants: str) -> list[float]:
        """Per round: the first variant's value minus `minus`'s and every further variant's."""
        first, *rest = variants
        return [
            values[first][i] - values[minus][i] - sum(values[v][i] for v in rest)
            for i in range(len(values[minus]))
        ]

    def failover_added_ms(self) -> list[float]:
        return self.differences(self.p50_ms, "plain", "failover", "fail")


def _stack() -> Stack:
    stack = Stack(Pinning.detect())
    routes_file = stack.workdir / "routes.json"
    routes_file.write_text(json.dumps(ROUTES), encoding="utf-8")
    stack.extra_env.update(
        {
            "INGATE_ROUTES_FILE": str(routes_file),
            "INGATE_BROKEN_FORMAT": "openai",
            "INGATE_BROKEN_BASE_URL": stack.upstream_url + FAIL_PREFIX + "v1",
            "INGATE_BROKEN_API_KEY": "sk-bench-broken",
        }
    )
    return stack


def _body(variant: str) -> str:
    return wrk.JSON_BODY.replace(f'"model":"{MODEL}"', f'"model":"{MODELS[variant]}"')


def _check_failover(stack: Stack) -> list[str]:
    """X-Ingate-Attempts of a few sequential failover requests: each should be 2 (the failing
    provider probed again at once, as a zero cooldown runs out at once), answered by the fallback."""
    seen = []
    for _ in range(_CHECKS):
        status, headers, body = post_with_headers(stack.edge_url + wrk.PATH, _body("failover"), stack.api_key)
        if status != 200 or headers.get("x-ingate-target") != f"openai/{MODEL}":
            raise StackError(
                f"failover answered {status} from {headers.get('x-ingate-target')}: {body[:300]!r}"
            )
        seen.append(str(headers.get("x-ingate-attempts")))
    return seen


def measure(rounds: int, seconds: int) -> tuple[Runs, list[str]]:
    stack = _stack()
    runs = Runs()
    try:
        stack.start()
        checks = _check_failover(stack)
        print(
            f"failover X-Ingate-Attempts, {_CHECKS} sequential requests: {', '.join(checks)}", file=sys.stderr
        )
        with tempfile.TemporaryDirectory(prefix="ingate-bench-routing-") as tmp:
            scripts = {}
            for variant in LATENCY_VARIANTS:
                scripts[variant] = Path(tmp) / f"{variant}.lua"
                scripts[variant].write_text(wrk.script(_body(variant), stack.api_key), encoding="utf-8")
            urls = {v: stack.edge_url + wrk.PATH for v in EDGE_VARIANTS}
            urls["fail"] = stack.upstream_url + FAIL_PREFIX.rstrip("/") + wrk.PATH
            for variant in LATENCY_VARIANTS:
                wrk.run(
                    wrk.command(urls[variant], scripts[variant], 32, _WARMUP_S, stack.pinning.support),
                    _WARMUP_S,
                )
            for round_ in range(rounds):
                forward = round_ % 2 == 0
                for variant in EDGE_VARIANTS if forward else EDGE_VARIANTS[::-1]:
                    _one(stack, runs, variant, scripts[variant], urls[variant], 32, seconds)
                for variant in LATENCY_VARIANTS if forward else LATENCY_VARIANTS[::-1]:
                    _one(stack, runs, variant, scripts[variant], urls[variant], 1, seconds)
                cpu = runs.differences(runs.cpu32_us, "plain", "one")[-1]
                added = runs.failover_added_ms()[-1]
                print(
                    f"round {round_ + 1}/{rounds}: route CPU {cpu:+.1f} µs/req,"
                    f" failover adds {added * 1000:+.0f} µs"
                    f" (p50 plain {runs.p50_ms['plain'][-1]:.3f}, failover {runs.p50_ms['failover'][-1]:.3f},"
                    f" failed attempt {runs.p50_ms['fail'][-1]:.3f} ms)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        stack.close()
    return runs, checks


def _one(
    stack: Stack, runs: Runs, variant: str, script: Path, url: str, connections: int, seconds: int
) -> None:
    before = cpu_seconds(stack.edge_pid)
    result = wrk.run(wrk.command(url, script, connections, seconds, stack.pinning.support), seconds)
    spent_us = (cpu_seconds(stack.edge_pid) - before) * 1e6 / max(result.requests, 1)
    # The upstream's /fail/ answers 500 by design; through the edge every answer must be a 200.
    expected_non_2xx = result.requests if variant == "fail" else 0
    if result.errors or result.non_2xx != expected_non_2xx:
        raise wrk.WrkError(
            f"{variant}: {result.errors} socket errors, {result.non_2xx} non-2xx of {result.requests} answers"
        )
    if connections == 1:
        runs.p50_ms[variant].append(result.p50_ms)
        runs.p99_ms[variant].append(result.p99_ms)
    if variant != "fail":  # the edge is idle meanwhile
        (runs.cpu1_us if connections == 1 else runs.cpu32_us)[variant].append(spent_us)


def _verdict(passed: bool) -> str:
    return "pass" if passed else "**MISS**"


def _spread(values: list[float], scale: float, unit: str) -> str:
    return f"{min(values) * scale:+.1f} … {max(values) * scale:+.1f} {unit}"


def section(runs: Runs, rounds: int, seconds: int, checks: list[str]) -> str:
    median = statistics.median
    cpu_added = runs.differences(runs.cpu32_us, "plain", "one")
    p50_added = runs.differences(runs.p50_ms, "plain", "one")
    failover_added = runs.failover_added_ms()
    failover_cpu32 = runs.differences(runs.cpu32_us, "plain", "failover")
    failover_cpu1 = runs.differences(runs.cpu1_us, "plain", "failover")
    p50, p99 = runs.p50_ms, runs.p99_ms
    return "\n".join(
        [
            START,
            "### Routing, measured in alternation (issue 12 targets)",
            "",
            f"- Command: `python -m bench.routing --rounds {rounds} --seconds {seconds}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one stack, every variant measured"
            " back to back in each round (order alternating); figures are medians over rounds of the"
            " per-round comparison, with the range over rounds.",
            f'- Plain: `"model": "{MODEL}"` (provider openai, no route). Route `one`: a single target,'
            f" openai/{MODEL}. Route `failover`: target broken/{MODEL}, whose upstream answers OpenAI's"
            f" 500 error body at once, then fallback openai/{MODEL}; `cooldown_s: 0`, so the broken"
            " target is probed on every request at c=1 (X-Ingate-Attempts of"
            f" {_CHECKS} sequential requests before measuring: {', '.join(checks)}). At c=32 one request"
            " at a time holds the probe and the others go straight to the fallback.",
            "- Failed attempt alone: wrk straight to the upstream's `POST /fail/v1/chat/completions`, same"
            " body. Failover's added cost = p50(failover) - p50(plain) - p50(failed attempt alone).",
            "- Edge CPU per request: user+system time of the edge process during the run / requests.",
            "",
            "| measure | plain | routed | per-round difference (range) | target |",
            "|---|---:|---:|---:|---|",
            f"| edge CPU per request at c=32, route `one` | {median(runs.cpu32_us['plain']):.1f} µs"
            f" | {median(runs.cpu32_us['one']):.1f} µs | {median(cpu_added):+.1f} µs"
            f" ({_spread(cpu_added, 1, 'µs')}) | ≤ +5 µs — {_verdict(median(cpu_added) <= 5)} |",
            f"| p50 at c=1, route `one` | {median(p50['plain']):.3f} ms | {median(p50['one']):.3f} ms"
            f" | {median(p50_added) * 1000:+.0f} µs ({_spread(p50_added, 1000, 'µs')}) | |",
            f"| p50 at c=1, `failover` (failed attempt alone: {median(p50['fail']):.3f} ms)"
            f" | {median(p50['plain']):.3f} ms | {median(p50['failover']):.3f} ms"
            f" | {median(failover_added) * 1000:+.0f} µs beyond the failed attempt"
            f" ({_spread(failover_added, 1000, 'µs')})"
            f" | ≤ +1 ms — {_verdict(median(failover_added) <= 1.0)} |",
            f"| p99 at c=1, `failover` (failed attempt alone: {median(p99['fail']):.3f} ms)"
            f" | {median(p99['plain']):.3f} ms | {median(p99['failover']):.3f} ms | | |",
            f"| edge CPU per request at c=1, `failover` (every request fails over)"
            f" | {median(runs.cpu1_us['plain']):.1f} µs | {median(runs.cpu1_us['failover']):.1f} µs"
            f" | {median(failover_cpu1):+.1f} µs ({_spread(failover_cpu1, 1, 'µs')}) | |",
            f"| edge CPU per request at c=32, `failover` | {median(runs.cpu32_us['plain']):.1f} µs"
            f" | {median(runs.cpu32_us['failover']):.1f} µs | {median(failover_cpu32):+.1f} µs"
            f" ({_spread(failover_cpu32, 1, 'µs')}) | |",
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds < 1:
        parser.error("--rounds and --seconds must be at least 1")
    runs, checks = measure(args.rounds, args.seconds)
    text = section(runs, args.rounds, args.seconds, checks)
    print(text)
    if not args.no_write:
        replace_section(DOC, START, END, text)


if __name__ == "__main__":
    main()
