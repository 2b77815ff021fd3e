"""`python -m bench`: start the stack, run every wrk measurement, report, stop everything."""

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Final

from bench import against, markdown, procs, report, wrk
from bench.cases import CALLERS, CASES, MODES, REFERENCE, Case, Mode
from bench.load import LoadMeter, cpu_seconds
from bench.procs import Pinning, Stack, StackError
from bench.replies import TEXT_DELTAS
from bench.run import NOISY_PCT, STREAM_CHUNKS, Machine, Measurement, Run
from bench.wrk import WrkError

DOCS_PATH: Final = procs.ROOT / "docs" / "benchmarks.md"
# --only: which modes and which cases.
_ONLY: Final[dict[str, tuple[tuple[Mode, ...], tuple[Case, ...]]]] = {
    "json": (("json",), CASES),
    "stream": (("stream",), CASES),
    "translate": (MODES, tuple(case for case in CASES if case.via != "direct")),
    "reference": (MODES, REFERENCE),
}
_BUSY_LOAD: Final = 0.5
_QUIET_WAIT_S: Final = 30.0
_SETTLE_S: Final = 1.0  # after readiness, before the idle RSS reading
AB_ROUNDS: Final = 9
AB_SECONDS: Final = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the Ingate edge's overhead against calling the upstream directly, "
        "and what translation adds on top.",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, metavar="S", help="measured seconds per run (default 10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, metavar="S", help="warm-up seconds before each run (default 2)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        metavar="N",
        help="connections for the concurrent runs (default 32; c=1 is always measured)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=markdown.DEFAULT_RETRIES,
        metavar="N",
        help=f"measure a run again, up to N times, while other processes were busy "
        f"(default {markdown.DEFAULT_RETRIES})",
    )
    parser.add_argument(
        "--only",
        choices=tuple(_ONLY),
        help="measure only non-stream or only stream (every case), only translated and "
        "untranslated runs through the edge, or only the OpenAI chat caller's direct, edge and "
        "Anthropic-translated runs (both modes)",
    )
    parser.add_argument("--no-write", action="store_true", help="print results only; leave docs alone")
    ab = parser.add_argument_group(
        "A/B in one run", "compare the working tree's edge (B) with REV's (A), in alternating rounds"
    )
    ab.add_argument("--against", metavar="REV", help="a git revision to measure beside the working tree")
    ab.add_argument(
        "--rounds", type=int, metavar="N", help=f"with --against: rounds of A and B (default {AB_ROUNDS})"
    )
    ab.add_argument(
        "--seconds", type=int, metavar="S", help=f"with --against: seconds per run (default {AB_SECONDS})"
    )
    ab.add_argument(
        "--streams", action="store_true", help="with --against: stream runs at the concurrent level too"
    )
    ab.add_argument(
        "--pace-ms",
        type=float,
        metavar="MS",
        help="with --streams: the upstream sends the stream's events MS apart (default: all at once)",
    )
    return parser


def argument_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, or None."""
    if args.duration < 1 or args.warmup < 0 or args.connections < 1 or args.retries < 0:
        return "--duration must be ≥ 1, --warmup ≥ 0, --connections ≥ 1, --retries ≥ 0"
    if args.connections == 1 and args.against is not None:
        return "--against needs --connections above 1 (c=1 is always measured)"
    if args.against is None and (args.streams or args.rounds is not None or args.seconds is not None):
        return "--rounds, --seconds and --streams go with --against"
    if (args.rounds is not None and args.rounds < 1) or (args.seconds is not None and args.seconds < 1):
        return "--rounds and --seconds must be ≥ 1"
    if args.pace_ms is not None and (not args.streams or args.pace_ms <= 0):
        return "--pace-ms goes with --streams and must be above 0"
    return None


def ab_settings(args: argparse.Namespace) -> against.Settings:
    """What `--against` measures, the defaults filled in."""
    return against.Settings(
        rev=args.against,
        rounds=AB_ROUNDS if args.rounds is None else args.rounds,
        seconds=AB_SECONDS if args.seconds is None else args.seconds,
        connections=args.connections,
        streams=args.streams,
        pace_ms=args.pace_ms or 0.0,
    )


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    error = argument_error(args)
    if error is not None:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    modes, cases = _ONLY[args.only] if args.only else (MODES, CASES)
    try:
        wrk.wrk_binary()
    except WrkError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop the stack on `kill` as on Ctrl-C
    if args.against is not None:
        return against.run(ab_settings(args))
    pinning = Pinning.detect()
    run = Run(
        started=dt.datetime.now(dt.UTC),
        machine=Machine.detect(),
        pinning=pinning.describe(),
        warmup_s=args.warmup,
        duration_s=args.duration,
        connections=args.connections,
        retries=args.retries,
        modes=modes,
        cases=cases,
        only=args.only,
    )
    stack = Stack(pinning)
    try:
        _measure(stack, run)
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopping everything", file=sys.stderr)
        return 130
    except (StackError, WrkError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.close()
    print()
    print(report.summary(run))
    if not args.no_write:
        markdown.write_markdown(DOCS_PATH, run)
        print(f"\nwrote {DOCS_PATH.relative_to(DOCS_PATH.parent.parent)}")
    return 0


def _measure(stack: Stack, run: Run) -> None:
    load = os.getloadavg()[0]
    if load > _BUSY_LOAD:
        _log(f"WARNING: the machine is busy before the run (load average {load:.2f}); expect noise")
    _log("starting nats-server, upstream, translator and edge ...")
    stack.start()
    time.sleep(_SETTLE_S)
    run.rss_idle_kib = procs.rss_kib(stack.edge_pid)
    idle_mb = run.rss_idle_kib * 1024 / 1e6
    _log(f"edge ready (pid {stack.edge_pid}), idle RSS {idle_mb:.1f} MB; readyz: {stack.readiness()}")
    _check_answers(stack, run)
    with tempfile.TemporaryDirectory(prefix="ingate-bench-wrk-") as tmp:
        cases = [case for case in run.cases if case not in run.unavailable]
        for mode in run.modes:
            scripts = {}
            for number, case in enumerate(cases):
                scripts[case] = Path(tmp) / f"{mode}-{number}.lua"
                text = wrk.script(CALLERS[case.caller].bodies[mode], stack.api_key, case.headers)
                scripts[case].write_text(text, encoding="utf-8")
            for connections in dict.fromkeys((1, run.connections)):
                for case in cases:
                    if connections == 1 or case in REFERENCE:  # the other pairs: c=1 only
                        run.measurements.append(_quietest(stack, run, mode, case, connections, scripts[case]))
    run.rss_after_kib = procs.rss_kib(stack.edge_pid)


def _quietest(stack: Stack, run: Run, mode: Mode, case: Case, connections: int, script: Path) -> Measurement:
    """Measure; while other processes disturbed the run, measure again (up to --retries times)."""
    best: Measurement | None = None
    for attempt in range(run.retries + 1):
        if best is not None:
            _log(f"other load {best.max_other_load_pct:.0f}% of a CPU; again ({attempt}/{run.retries})")
            _wait_for_quiet(stack)
        measurement = _one(stack, run, mode, case, connections, script)
        if best is None or measurement.max_other_load_pct < best.max_other_load_pct:
            best = measurement
        if best.max_other_load_pct <= NOISY_PCT:
            break
    assert best is not None  # at least one attempt ran
    return best


def _wait_for_quiet(stack: Stack) -> None:
    """Give a burst of other work up to _QUIET_WAIT_S to pass before measuring again."""
    meter = LoadMeter(stack.edge_pid, stack.pinning.edge_cpu, stack.pinning.support_cpu)
    deadline = time.monotonic() + _QUIET_WAIT_S
    while time.monotonic() < deadline:
        before = meter.sample()
        time.sleep(1.0)
        load = meter.since(before)
        if max(load.stranger_edge_pct or 0.0, load.stranger_support_pct or 0.0) <= NOISY_PCT:
            return


def _url(stack: Stack, mode: Mode, case: Case) -> str:
    base = stack.upstream_url if case.via == "direct" else stack.edge_url
    return base + CALLERS[case.caller].paths[mode]


def _one(stack: Stack, run: Run, mode: Mode, case: Case, connections: int, script: Path) -> Measurement:
    url = _url(stack, mode, case)
    cpus = stack.pinning.support
    label = f"{mode:6} {case.label:38} c={connections:<3}"
    if run.warmup_s > 0:
        _log(f"{label} warm-up {run.warmup_s:g}s")
        wrk.run(wrk.command(url, script, connections, run.warmup_s, cpus), run.warmup_s)
    meter = LoadMeter(stack.edge_pid, stack.pinning.edge_cpu, stack.pinning.support_cpu)
    translator_before = cpu_seconds(stack.translator_pid)
    before = meter.sample()
    result = wrk.run(wrk.command(url, script, connections, run.duration_s, cpus), run.duration_s)
    load = meter.since(before)
    translated = case.via == "translated"
    translator = cpu_seconds(stack.translator_pid) - translator_before if translated else None
    measurement = Measurement(mode, case, connections, result, load, translator)
    per_request = measurement.cpu_us_per_request
    translator_us = measurement.translator_us_per_request
    _log(
        f"{label} {result.rps:9,.0f} req/s  p50 {result.p50_ms:.3f} ms  p99 {result.p99_ms:.3f} ms"
        + ("" if per_request is None else f"  edge CPU {per_request:.0f} µs/req")
        + ("" if translator_us is None else f"  translator CPU {translator_us:.0f} µs/req")
        + f"  other load {measurement.other_load}"
    )
    if result.errors or result.non_2xx:
        _log(f"{label} WARNING: {result.errors} socket errors, {result.non_2xx} non-2xx answers")
    return measurement


def _check_answers(stack: Stack, run: Run) -> None:
    """One request per mode and case before any load: a broken set-up fails here, clearly. A
    stream must bring the client every text delta (an OpenAI chat client as many chunks
    translated as not), and a translated answer must come from its provider. A pair beyond
    the reference one that the edge refuses (4xx) is left out and reported as not measured:
    this build does not translate it."""
    for case in run.cases:
        caller = CALLERS[case.caller]
        for mode in run.modes:
            status, body = procs.post(
                _url(stack, mode, case), caller.bodies[mode], stack.api_key, case.headers
            )
            if case not in REFERENCE and case.via == "translated" and 400 <= status < 500:
                run.unavailable[case] = f"{status} {body[:160].decode(errors='replace')}"
                _log(f"{case.label}: not measured, the edge answered {run.unavailable[case]}")
                break
            chunks = caller.chunks(body)
            wanted = STREAM_CHUNKS if case.caller == "openai-chat" else TEXT_DELTAS
            short = mode == "stream" and (
                chunks < wanted or (case.caller == "openai-chat" and chunks != wanted)
            )
            if status != 200 or caller.markers[mode] not in body or short:
                raise StackError(
                    f"{mode} request ({case.label}) answered {status} with {chunks} chunks "
                    f"(a stream needs {wanted}): {body[:300]!r}\n"
                    f"edge log:\n{stack.log_tail('edge')}\ntranslator log:\n{stack.log_tail('translator')}"
                )
            provider_id = case.provider_id
            if provider_id is not None and provider_id not in body:
                raise StackError(f"{mode} request ({case.label}) was not translated: {body[:300]!r}")
            if mode == "stream":
                run.chunks[case] = chunks


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
