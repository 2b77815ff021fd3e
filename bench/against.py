"""`python -m bench --against REV`: the working tree's edge and REV's edge in one run.

One stack (NATS, the constant upstream, the translator, one key) and two edges, both on
the edge's CPU: A runs REV's sources (`bench.revision`), B the working tree's. Only the
one measured at a time has load; the other idles. `bench.paired` alternates them round
after round, with the upstream measured directly at c=1 in every round too, so each
round gives each edge's added latency over the same direct run. Every figure is reported
as B/A per round, summarised over rounds (`bench.ratios`), beside each side's median.
"""

import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import procs, wrk
from bench.paired import Runs, Variant, alternate
from bench.procs import Pinning, Stack, StackError
from bench.ratios import Comparison, added
from bench.revision import Checkout, RevisionError, checkout
from bench.upstream import PACE_HEADER
from bench.wrk import WrkError

DIRECT: Final = "direct"
BASELINE: Final = "A"  # REV
CANDIDATE: Final = "B"  # the working tree
_STREAM_MARKER: Final = b"data: [DONE]"


@dataclass(frozen=True)
class Settings:
    rev: str
    rounds: int
    seconds: int
    connections: int
    streams: bool
    pace_ms: float = 0.0  # with streams: the upstream's events this far apart


def command_line(settings: Settings) -> str:
    """The command that reproduces a run, for the report."""
    words = ["python -m bench", f"--against {settings.rev}", f"--rounds {settings.rounds}"]
    words.append(f"--seconds {settings.seconds}")
    if settings.connections != 32:
        words.append(f"--connections {settings.connections}")
    if settings.streams:
        words.append("--streams")
    if settings.pace_ms:
        words.append(f"--pace-ms {settings.pace_ms:g}")
    return " ".join(words)


def comparisons(runs: Runs, connections: int, streams: bool, pace_ms: float = 0.0) -> list[Comparison]:
    """Every figure of the run, A against B, from the per-round measurements."""
    a, b = BASELINE, CANDIDATE
    found = [
        Comparison.of(
            "added p50, c=1",
            "ms",
            added(runs.p50_ms[a], runs.p50_ms[DIRECT]),
            added(runs.p50_ms[b], runs.p50_ms[DIRECT]),
        ),
        Comparison.of(
            "added p99, c=1",
            "ms",
            added(runs.p99_ms[a], runs.p99_ms[DIRECT]),
            added(runs.p99_ms[b], runs.p99_ms[DIRECT]),
        ),
        Comparison.of(f"req/s, c={connections}", "", runs.rps[a], runs.rps[b]),
        Comparison.of(f"edge CPU per request, c={connections}", "µs", runs.cpu_us[a], runs.cpu_us[b]),
    ]
    if streams:
        sa, sb = _stream(a), _stream(b)
        paced = f", events {pace_ms:g} ms apart" if pace_ms else ""
        found.append(Comparison.of(f"stream req/s, c={connections}{paced}", "", runs.rps[sa], runs.rps[sb]))
        found.append(
            Comparison.of(
                f"stream edge CPU per request, c={connections}{paced}", "µs", runs.cpu_us[sa], runs.cpu_us[sb]
            )
        )
    return found


def _stream(name: str) -> str:
    return f"{name} stream"


def _figure(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.3f} ms"
    if unit == "µs":
        return f"{value:.1f} µs"
    return f"{value:,.0f}"


def table(found: Sequence[Comparison], rev: str) -> str:
    """The comparison as a Markdown table: medians, the median ratio, its middle half and range."""
    lines = [
        f"| figure | A: {rev} | B: working tree | B/A median | middle half | range |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for item in found:
        ratio = item.ratio
        noise = "" if item.beyond_noise else " (noise)"
        lines.append(
            f"| {item.figure} | {_figure(item.baseline, item.unit)} | {_figure(item.candidate, item.unit)} "
            f"| {ratio.median:.3f}{noise} | {ratio.q1:.3f} … {ratio.q3:.3f} "
            f"| {ratio.low:.3f} … {ratio.high:.3f} |"
        )
    return "\n".join(lines)


def run(settings: Settings) -> int:
    """Check REV out, measure both edges, print the report; an exit status."""
    try:
        with checkout(settings.rev) as rev:
            _log(f"A: {rev.describe()}; B: the working tree")
            stack = Stack(Pinning.detect())
            try:
                runs = _measure(stack, rev, settings)
            finally:
                stack.close()
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopping everything", file=sys.stderr)
        return 130
    except (RevisionError, StackError, WrkError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(f"\nCommand: `{command_line(settings)}`; A: {rev.describe()}; B: the working tree.\n")
    print(table(comparisons(runs, settings.connections, settings.streams, settings.pace_ms), settings.rev))
    errors = ", ".join(f"{name} {count}" for name, count in runs.socket_errors.items())
    print(f"\nSocket errors over all runs (wrk's 5 s timeouts, resets): {errors}.")
    return 0


def _measure(stack: Stack, rev: Checkout, settings: Settings) -> Runs:
    _log("starting nats-server, upstream, translator and the working tree's edge ...")
    stack.start()
    _log(f"starting {settings.rev}'s edge ...")
    rev_pid, rev_url = stack.start_other_edge(f"edge-{rev.commit[:9]}", rev.python, rev.root, rev.env)
    edges = {BASELINE: (rev_pid, rev_url), CANDIDATE: (stack.edge_pid, stack.edge_url)}
    with tempfile.TemporaryDirectory(prefix="ingate-bench-ab-") as tmp:
        json_script = Path(tmp) / "json.lua"
        json_script.write_text(wrk.script(wrk.JSON_BODY, stack.api_key), encoding="utf-8")
        stream_script = Path(tmp) / "stream.lua"
        pace = {PACE_HEADER: f"{settings.pace_ms:g}"} if settings.pace_ms else None
        stream_script.write_text(wrk.script(wrk.STREAM_BODY, stack.api_key, pace), encoding="utf-8")
        levels = (settings.connections, 1)
        variants = [Variant(DIRECT, stack.upstream_url + wrk.PATH, json_script, None, (1,))]
        for name, (pid, url) in edges.items():
            _check(url, stack.api_key, settings.streams)
            variants.append(Variant(name, url + wrk.PATH, json_script, pid, levels))
            if settings.streams:
                stream = Variant(_stream(name), url + wrk.PATH, stream_script, pid, (settings.connections,))
                variants.append(stream)
        return alternate(variants, settings.rounds, settings.seconds, stack.pinning.support)


def _check(url: str, api_key: str, streams: bool) -> None:
    """One answer of each kind before any load: a broken edge fails here, clearly."""
    bodies = (wrk.JSON_BODY, wrk.STREAM_BODY) if streams else (wrk.JSON_BODY,)
    for body in bodies:
        status, answer = procs.post(url + wrk.PATH, body, api_key)
        if status != 200 or (body is wrk.STREAM_BODY and _STREAM_MARKER not in answer):
            raise StackError(f"{url} answered {status}: {answer[:300]!r}")


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
