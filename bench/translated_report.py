"""The translation tables: the reference pair at every concurrency, and every measured pair at
c=1 against the untranslated edge path of its caller, with the issue's verdicts."""

from typing import Final

from bench.cases import TRANSLATED, Case, Mode
from bench.run import TRANSLATED_CHUNK_P50_MS, TRANSLATED_JSON_P50_MS, Run

TRANSLATION_HEADER: Final = [
    "mode",
    "conns",
    "edge p50 ms",
    "translated p50 ms",
    "Δp50 ms",
    "edge p99 ms",
    "translated p99 ms",
    "Δp99 ms",
    "edge req/s",
    "translated req/s",
    "translator CPU µs/req",
]
PAIR_HEADER: Final = [
    "pair",
    "compared with",
    "mode",
    "untranslated p50 ms",
    "translated p50 ms",
    "Δp50 ms",
    "chunks",
    "Δp50 per chunk ms",
    "translator CPU µs/req",
    "target",
    "result",
]


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("pass" if ok else "MISS")


def translation_rows(run: Run) -> list[list[str]]:
    """The reference pair (OpenAI chat caller, Anthropic provider) at c=1 and c=N."""
    rows = []
    edge_case = TRANSLATED.baseline
    for mode in run.modes:
        for conns in dict.fromkeys((1, run.connections)):
            translated = run.find(mode, TRANSLATED, conns)
            if translated is None:
                continue
            edge = run.find(mode, edge_case, conns)
            added = run.translation(mode, conns)
            cpu = translated.translator_us_per_request
            rows.append(
                [
                    mode,
                    str(conns),
                    "n/a" if edge is None else f"{edge.result.p50_ms:.3f}",
                    f"{translated.result.p50_ms:.3f}",
                    "n/a" if added is None else f"{added[0]:+.3f}",
                    "n/a" if edge is None else f"{edge.result.p99_ms:.3f}",
                    f"{translated.result.p99_ms:.3f}",
                    "n/a" if added is None else f"{added[1]:+.3f}",
                    "n/a" if edge is None else f"{edge.result.rps:,.0f}",
                    f"{translated.result.rps:,.0f}",
                    "-" if cpu is None else f"{cpu:.0f}",
                ]
            )
    return rows


def per_chunk_note(run: Run) -> str:
    added, per_chunk = run.translation("stream", 1), run.per_chunk_ms()
    if added is None or per_chunk is None:
        return "Per stream chunk: not measured."
    chunks = run.chunks.get(TRANSLATED)
    return f"Per stream chunk (c=1): Δp50 {added[0]:.3f} ms / {chunks} chunks = {per_chunk:.3f} ms."


def _translated_cases(run: Run) -> list[Case]:
    return [case for case in run.cases if case.via == "translated" and case not in run.unavailable]


def _pair_row(run: Run, case: Case, mode: Mode) -> list[str] | None:
    stream = mode == "stream"
    translated, base = run.find(mode, case, 1), run.find(mode, case.baseline, 1)
    if translated is None or base is None:
        return None
    added = translated.result.p50_ms - base.result.p50_ms
    chunks = run.chunks.get(case)
    per_chunk = run.per_chunk_ms(case) if stream else None
    cpu = translated.translator_us_per_request
    if stream:
        target, ok = (
            f"≤ {TRANSLATED_CHUNK_P50_MS} ms per chunk",
            per_chunk is not None and per_chunk <= TRANSLATED_CHUNK_P50_MS,
        )
    else:
        target, ok = f"≤ {TRANSLATED_JSON_P50_MS} ms", added <= TRANSLATED_JSON_P50_MS
    return [
        case.label,
        case.baseline.label,
        mode,
        f"{base.result.p50_ms:.3f}",
        f"{translated.result.p50_ms:.3f}",
        f"{added:+.3f}",
        "-" if not stream or chunks is None else str(chunks),
        "-" if per_chunk is None else f"{per_chunk:.3f}",
        "-" if cpu is None else f"{cpu:.0f}",
        target,
        verdict(ok),
    ]


def pair_rows(run: Run) -> list[list[str]]:
    """Every translated case at c=1, JSON then stream."""
    rows = []
    for case in _translated_cases(run):
        for mode in run.modes:
            row = _pair_row(run, case, mode)
            if row is not None:
                rows.append(row)
    return rows


def worst_pair_targets(run: Run) -> list[list[str]]:
    """Targets rows for the worst measured pair: JSON Δp50 and per chunk, every pair at c=1."""
    json_added: list[tuple[float, str]] = []
    chunk_added: list[tuple[float, str]] = []
    for case in _translated_cases(run):
        found = run.translation("json", 1, case)
        if found is not None:
            json_added.append((found[0], case.label))
        per_chunk = run.per_chunk_ms(case)
        if per_chunk is not None:
            chunk_added.append((per_chunk, case.label))
    rows = []
    for label, values, limit in (
        (
            f"translation adds ≤ {TRANSLATED_JSON_P50_MS} ms p50, non-stream, every pair (c=1)",
            json_added,
            TRANSLATED_JSON_P50_MS,
        ),
        (
            f"translation adds ≤ {TRANSLATED_CHUNK_P50_MS} ms p50 per stream chunk, every pair (c=1)",
            chunk_added,
            TRANSLATED_CHUNK_P50_MS,
        ),
    ):
        if not values:
            rows.append([label, "n/a", verdict(None)])
            continue
        worst, pair = max(values)
        rows.append(
            [label, f"{worst:.3f} ms (worst: {pair}, of {len(values)} pairs)", verdict(worst <= limit)]
        )
    return rows


def unavailable_note(run: Run) -> str:
    if not run.unavailable:
        return ""
    listed = "; ".join(f"{case.label}: {answer}" for case, answer in run.unavailable.items())
    return f"Not measured (this build does not translate them; the edge answered): {listed}"
