"""Results: what was measured, what it adds up to, and the tables for the terminal and docs.

`bench.markdown` turns the same tables into docs/benchmarks.md.
"""

from collections.abc import Sequence
from typing import Final

from bench.cases import EDGE, TRANSLATED
from bench.run import (
    EDGE_RPS,
    IDLE_RSS_MB,
    JSON_P50_OVERHEAD_MS,
    JSON_P99_OVERHEAD_MS,
    NOISY_PCT,
    STREAM_CHUNKS,
    STREAM_OVERHEAD_MS,
    TRANSLATED_CHUNK_P50_MS,
    TRANSLATED_JSON_P50_MS,
    Run,
)
from bench.translated_report import (
    PAIR_HEADER,
    TRANSLATION_HEADER,
    pair_rows,
    per_chunk_note,
    translation_rows,
    unavailable_note,
    verdict,
    worst_pair_targets,
)


def noise_note(run: Run) -> str:
    worst = max((m.max_other_load_pct for m in run.measurements), default=0.0)
    if worst <= NOISY_PCT:
        return f"Other processes used at most {worst:.0f}% of either pinned CPU during any run."
    return (
        f"Other processes used up to {worst:.0f}% of a pinned CPU during some runs (column "
        "'other load %'): those runs' tail latencies (p90, p99) say more about the machine than "
        "about the edge. Re-run on an otherwise idle machine for p99 numbers to trust."
    )


def megabytes(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib * 1024 / 1e6:.1f} MB"


def ms(value: float) -> str:
    return f"{value:.3f}"


def signed(value: float) -> str:
    return f"{value:+.3f}"


# --- tables -------------------------------------------------------------------------------


def results_rows(run: Run) -> list[list[str]]:
    rows = []
    for m in run.measurements:
        r = m.result
        cpu = m.cpu_us_per_request
        rows.append(
            [
                m.mode,
                m.case.label,
                str(m.connections),
                f"{r.rps:,.0f}",
                ms(r.p50_ms),
                ms(r.p90_ms),
                ms(r.p99_ms),
                "-" if cpu is None else f"{cpu:.0f}",
                m.other_load,
                str(r.errors + r.non_2xx),
            ]
        )
    return rows


RESULTS_HEADER: Final = [
    "mode",
    "path",
    "conns",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "edge CPU µs/req",
    "other load %",
    "errors",
]
OVERHEAD_HEADER: Final = ["mode", "conns", "Δp50 ms", "Δp99 ms"]
TARGETS_HEADER: Final = ["target", "measured", "result"]


def overhead_rows(run: Run) -> list[list[str]]:
    rows = []
    for mode in run.modes:
        for conns in (1, run.connections):
            found = run.overhead(mode, conns)
            if found is not None:
                rows.append([mode, str(conns), signed(found[0]), signed(found[1])])
    return rows


def _target(label: str, value: float | None, shown: str, limit: float, at_most: bool = True) -> list[str]:
    """One targets row; `shown` formats the value, e.g. "{:.3f} ms"."""
    if value is None:
        return [label, "n/a", verdict(None)]
    return [label, shown.format(value), verdict(value <= limit if at_most else value >= limit)]


def _first(pair: tuple[float, float] | None, index: int = 0) -> float | None:
    return None if pair is None else pair[index]


def target_rows(run: Run) -> list[list[str]]:
    json1, stream1 = run.overhead("json", 1), run.overhead("stream", 1)
    busy = run.find("json", EDGE, run.connections)
    idle = run.rss_idle_kib
    added = run.translation("stream", 1)
    chunks = run.chunks.get(TRANSLATED, STREAM_CHUNKS)
    chunk_shown = "{:.3f} ms" + ("" if added is None else f" ({added[0]:.3f} ms / {chunks} chunks)")
    return [
        _target(
            f"non-stream overhead p50 ≤ {JSON_P50_OVERHEAD_MS} ms (c=1)",
            _first(json1),
            "{:.3f} ms",
            JSON_P50_OVERHEAD_MS,
        ),
        _target(
            f"non-stream overhead p99 ≤ {JSON_P99_OVERHEAD_MS} ms (c=1)",
            _first(json1, 1),
            "{:.3f} ms",
            JSON_P99_OVERHEAD_MS,
        ),
        _target(
            f"stream overhead ≤ {STREAM_OVERHEAD_MS:g} ms, last byte, p50 (c=1)",
            _first(stream1),
            "{:.3f} ms",
            STREAM_OVERHEAD_MS,
        ),
        _target(
            f"≥ {EDGE_RPS:,.0f} req/s through one edge process (non-stream, c={run.connections})",
            None if busy is None else busy.result.rps,
            "{:,.0f} req/s",
            EDGE_RPS,
            at_most=False,
        ),
        _target(
            f"edge RSS ≤ {IDLE_RSS_MB:g} MB idle",
            None if idle is None else idle * 1024 / 1e6,
            "{:.1f} MB",
            IDLE_RSS_MB,
        ),
        _target(
            f"translation adds ≤ {TRANSLATED_JSON_P50_MS} ms p50, non-stream (c=1)",
            _first(run.translation("json", 1)),
            "{:.3f} ms",
            TRANSLATED_JSON_P50_MS,
        ),
        _target(
            f"translation adds ≤ {TRANSLATED_CHUNK_P50_MS} ms p50 per stream chunk (c=1)",
            run.per_chunk_ms(),
            chunk_shown,
            TRANSLATED_CHUNK_P50_MS,
        ),
        *worst_pair_targets(run),
    ]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


# --- outputs ------------------------------------------------------------------------------


def summary(run: Run) -> str:
    parts = [
        "Results (wrk; latency is to the last byte of the response)",
        text_table(RESULTS_HEADER, results_rows(run)),
        "",
        "Edge overhead (edge minus direct)",
        text_table(OVERHEAD_HEADER, overhead_rows(run)) if overhead_rows(run) else "not measured",
        "",
        "Translation (translated minus untranslated, both through the edge)",
        text_table(TRANSLATION_HEADER, translation_rows(run)),
        per_chunk_note(run),
        "",
        "Every measured pair (c=1, each against the untranslated edge path of its caller)",
        text_table(PAIR_HEADER, pair_rows(run)) if pair_rows(run) else "not measured",
        unavailable_note(run),
        "",
        f"Edge RSS: idle {megabytes(run.rss_idle_kib)}, after load {megabytes(run.rss_after_kib)}",
        "",
        "Targets",
        text_table(TARGETS_HEADER, target_rows(run)),
        "",
        noise_note(run),
    ]
    return "\n".join(parts)
