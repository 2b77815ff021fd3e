"""docs/benchmarks.md from a run.

The file is regenerated above the `<!-- analysis -->` marker line; everything from
the marker on (hand-written profiling notes) is kept as it is.
"""

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Final

from bench import wrk
from bench.cases import CALLERS, MORE, TRANSLATED, Case
from bench.replies import (
    COMPLETION_BODY,
    GEMINI_BODY,
    GEMINI_EVENTS,
    MESSAGE_BODY,
    MESSAGE_EVENTS,
    RESPONSE_BODY,
    RESPONSE_EVENTS,
    STREAM_EVENTS,
    TEXT_DELTAS,
)
from bench.report import (
    OVERHEAD_HEADER,
    RESULTS_HEADER,
    TARGETS_HEADER,
    markdown_table,
    megabytes,
    noise_note,
    overhead_rows,
    results_rows,
    target_rows,
)
from bench.run import NOISY_PCT, STREAM_CHUNKS, Run
from bench.translated_report import (
    PAIR_HEADER,
    TRANSLATION_HEADER,
    pair_rows,
    per_chunk_note,
    translation_rows,
    unavailable_note,
)

MARKER: Final = "<!-- analysis -->"
DEFAULT_RETRIES: Final = 2  # `python -m bench --retries`' default
_DEFAULT_ANALYSIS: Final = (
    f"{MARKER}\n\n## Analysis\n\n"
    "_Hand-written notes (profiles, explanations) go here; `make bench` keeps this section._\n"
)


def _path_and_body(case: Case) -> str:
    caller = CALLERS[case.caller]
    return f"`POST {caller.paths['json']}` `{caller.bodies['json']}`"


def _pairs() -> str:
    pairs = [case for case in MORE if case.via == "translated"]
    listed = "; ".join(
        f"{case.label} (`X-Ingate-Provider: {case.provider}`; against {case.baseline.label})"
        for case in pairs
    )
    callers = "; ".join(
        f"{shape}: {_path_and_body(Case('edge', shape))}" for shape in CALLERS if shape != "openai-chat"
    )
    return (
        "- More pairs, at c=1 only (to keep the run a few minutes long), each shape at least once as "
        f"caller and as provider: {listed}. Each is compared with the untranslated path of the same "
        "caller through the edge, measured in the same run next to it: `edge (<caller>)` is that caller's "
        "request sent to a provider of its own format (the same constant upstream); the bench has no "
        "Ollama upstream, so the Ollama caller is compared with the OpenAI chat caller's `edge` run, whose "
        "provider answers the same OpenAI chat the Ollama caller's request is translated into. Callers' "
        f'requests (stream: the same with `"stream": true`, Gemini\'s `:streamGenerateContent?alt=sse`): '
        f"{callers}. Before any load one request per case checks the answer is in the caller's shape, "
        "holds the provider's response id (it came through the translator from that provider) and, for a "
        "stream, every text delta; a pair the edge refuses (this build does not translate it) is listed "
        "as not measured. Per stream chunk = the pair's Δp50 divided by the chunks its client receives "
        "(counted on that check: SSE data events, NDJSON lines)."
    )


def _method(run: Run) -> list[str]:
    headers = ", ".join(f"`{name}: {value}`" for name, value in TRANSLATED.headers.items())
    return [
        "- The harness starts every process itself on loopback ports: nats-server (JetStream, "
        "temporary store), the constant upstream (`bench/upstream.py`, answers in `bench/replies.py`), "
        "one translator process (`python -m ingate_cli translator`) and one edge process "
        "(`python -m ingate_cli edge`), and stops them all at the end.",
        "- Upstream: a raw ASGI app under uvicorn (uvloop, httptools, no access log) that answers "
        f"every request with the same chat.completion JSON ({len(COMPLETION_BODY)} bytes), or, when "
        f'the body says `"stream": true`, the same {len(STREAM_EVENTS) - 1} `chat.completion.chunk` '
        "SSE events plus `data: [DONE]`, each sent as its own body message with no delay. "
        "`POST /v1/messages` gets the same reply in Anthropic's format: one message JSON "
        f"({len(MESSAGE_BODY)} bytes), or {len(MESSAGE_EVENTS)} events (`message_start`, "
        f"`content_block_start`, `ping`, {TEXT_DELTAS} `content_block_delta`, `content_block_stop`, "
        "`message_delta`, `message_stop`). `POST /v1/responses` gets it as a Responses `response` "
        f"object ({len(RESPONSE_BODY)} bytes), or {len(RESPONSE_EVENTS)} named events (`response.created`, "
        f"`response.in_progress`, `response.output_item.added`, `response.content_part.added`, {TEXT_DELTAS} "
        "`response.output_text.delta`, `response.output_text.done`, `response.content_part.done`, "
        "`response.output_item.done`, `response.completed`). A Gemini model's `:generateContent` gets "
        f"one `GenerateContentResponse` ({len(GEMINI_BODY)} bytes: candidates, content parts, "
        f"`finishReason`, `usageMetadata`), `:streamGenerateContent?alt=sse` {len(GEMINI_EVENTS)} `data:` "
        "events, one per token, CRLF-framed as Google frames them, the last with `finishReason` and the "
        "final counts. Each stream event is its own body message; every stream carries the same "
        f"{TEXT_DELTAS} text deltas. The request is never parsed. Answers carry the headers the real APIs "
        "send, their organisation rate-limit headers included (six `x-ratelimit-*` for OpenAI, six "
        "`anthropic-ratelimit-*` for Anthropic; Google sends none).",
        f"- Pinning: {run.pinning}. The translator is a service of its own, so it shares the "
        "second CPU; the edge stays alone on the first, translated or not.",
        "- Load: wrk, one thread, keep-alive connections, `POST /v1/chat/completions` with "
        f"`{wrk.JSON_BODY}` (for stream: `{wrk.STREAM_BODY}`), with an `Authorization: Bearer` key "
        "created in NATS for the run.",
        f"- Paths (the reference cases): direct to the upstream; through the edge; and translated: "
        f"through the edge with "
        f"{headers} added. For those the edge has the translator turn the request into an Anthropic "
        "`POST /v1/messages` (NATS request-reply), sends that to the same upstream, and has the "
        "answer translated back: one more call for a JSON answer, one per read from the upstream "
        "for a stream (events that arrive together are translated together). The client receives "
        f"the same {STREAM_CHUNKS} chunks plus `data: [DONE]` either way.",
        _pairs(),
        f"- Each measurement: {run.warmup_s:g} s warm-up run, then {run.duration_s:g} s measured. "
        f"Connections: 1 and {run.connections}.",
        "- Latency is wrk's, request sent to last response byte received; percentiles are exact "
        "(read from wrk's Lua `done` hook). Overhead = edge percentile minus direct percentile. "
        "Translation's added latency = translated percentile minus edge percentile; per stream "
        f"chunk = that p50 difference divided by the {STREAM_CHUNKS} chunks.",
        "- Edge RSS: VmRSS from /proc after readiness and before any load, and again after all runs. "
        "Edge CPU per request: user+system time of the edge process during the measured run "
        "divided by the requests completed; translator CPU per request likewise.",
        "- Other load %: CPU time other processes on the machine used during the run, as a share of "
        "the edge's CPU / of the CPU shared by upstream, translator, wrk and NATS (per-CPU busy time "
        "from /proc/stat minus what the harness's own processes used). A run where it exceeds "
        f"{NOISY_PCT:g}% on a CPU the run uses (direct runs do not use the edge's) is measured "
        f"again (after waiting up to 30 s for the machine to calm down), up to {run.retries} more "
        "times, and the quietest attempt is reported.",
    ]


def markdown(run: Run) -> str:
    machine = run.machine
    date = run.started.strftime("%Y-%m-%d %H:%M UTC")
    only = "" if run.only is None else f" --only {run.only}"
    if run.retries != DEFAULT_RETRIES:
        only += f" --retries {run.retries}"
    overhead = overhead_rows(run)
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "<!-- Generated by `make bench` (`python -m bench`): the part above the analysis marker",
            "     is rewritten on every run; hand-written notes go below the marker and are kept. -->",
            "",
            "How much the edge adds to a request, compared with calling the same upstream directly, "
            "and how much translation adds on top: OpenAI chat to an Anthropic provider at every "
            "concurrency, and every other shape as caller and as provider at c=1.",
            "",
            f"- Command: `make bench` (here: `python -m bench --duration {run.duration_s:g} "
            f"--connections {run.connections}{only}`)",
            f"- Date: {date}",
            "",
            "## Machine",
            "",
            markdown_table(
                ["", ""],
                [
                    ["CPUs (nproc)", str(machine.nproc)],
                    ["CPU model", machine.cpu_model],
                    ["Python", machine.python],
                    ["Kernel", machine.kernel],
                    ["wrk", machine.wrk],
                ],
            ),
            "",
            "## Method",
            "",
            *_method(run),
            "",
            "## Results",
            "",
            markdown_table(RESULTS_HEADER, results_rows(run)),
            "",
            "Overhead of the edge (edge minus direct, ms):",
            "",
            markdown_table(OVERHEAD_HEADER, overhead) if overhead else "Not measured (no direct runs).",
            "",
            "Added by translation (translated minus untranslated, both through the edge):",
            "",
            markdown_table(TRANSLATION_HEADER, translation_rows(run)),
            "",
            per_chunk_note(run),
            "",
            "Every measured pair (c=1; translated minus the untranslated edge path it is compared with, "
            "same run):",
            "",
            markdown_table(PAIR_HEADER, pair_rows(run)) if pair_rows(run) else "Not measured.",
            "",
            *([unavailable_note(run), ""] if run.unavailable else []),
            f"Edge RSS: {megabytes(run.rss_idle_kib)} idle, {megabytes(run.rss_after_kib)} after load.",
            "",
            "## Targets",
            "",
            markdown_table(TARGETS_HEADER, target_rows(run)),
            "",
            noise_note(run),
            "",
        ]
    )


def write_markdown(path: Path, run: Run) -> None:
    """Rewrite `path` above the marker line; keep the marker and everything after it."""
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    kept = _DEFAULT_ANALYSIS
    lines = old.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip() == MARKER:
            kept = "".join(lines[index:])
            break
    else:
        if old.strip():  # a file without the marker: keep all of it below a new marker
            kept = f"{MARKER}\n\n{old}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(run) + "\n" + kept, encoding="utf-8")


def replace_section(path: Path, start: str, end: str, section: str, after: str | None = None) -> None:
    """Put `section` (which begins with `start` and ends with `end`) in place of the text
    between those markers in `path`; a new section goes right after the `after` marker when
    the file has one (to sit next to the section it complements), else at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    elif after is not None and after in text:
        cut = text.index(after) + len(after)
        text = text[:cut] + "\n\n" + section + text[cut:]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


Count = tuple[str, int, str | None]  # a command-line count: name, default, help


def section_main(
    prog: str,
    doc: str,
    counts: tuple[Count, Count],
    run: Callable[[int, int], str],
    place: tuple[Path, str, str, str | None],
) -> None:
    """The command line of a bench that writes one section: two positive counts and
    `--no-write`; `run` measures with the counts and returns the section, which is printed
    and, unless told not to, put in place (`place`: the file, the start and end markers, and
    the marker a new section goes after)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    for name, default, help_text in counts:
        parser.add_argument(f"--{name}", type=int, default=default, help=help_text)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    first, second = (getattr(args, name) for name, _, _ in counts)
    if first < 1 or second < 1:
        parser.error(f"--{counts[0][0]} and --{counts[1][0]} must be at least 1")
    text = run(first, second)
    print(text)
    if not args.no_write:
        path, start, end, after = place
        replace_section(path, start, end, text, after=after)
