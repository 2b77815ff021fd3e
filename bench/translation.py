"""What each translation pair costs in the library: a request, a JSON answer, a stream event.

    python -m bench.translation [--rounds 9] [--calls 400] [--no-write]

In-process, no services: for every pair in the registry, `CodecPair.request` on the
client shape's sample request (the wrk bench's), `CodecPair.response` on the backend
shape's sample answer, and a whole sample stream of the backend shape fed one provider
event per call (as the edge feeds events when each arrives in its own read), final call
included, per event. The answers are the bench upstream's (one text reply, the same text
deltas in every stream). Medians over rounds of `--calls` calls each; pairs are measured interleaved in
every round, so drift hits them alike. `python -m bench` measures the end-to-end cost of the
openai-chat → anthropic-messages pair at every concurrency and of one or more pairs per shape
at c=1 ("Every measured pair"); each pair's estimate here is the reference pair's measurement
plus its library cost's difference from that pair's, for the pairs the wrk bench leaves out.
"""

import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bench.cases import CALLERS, MODES, Mode
from bench.markdown import section_main
from bench.procs import ROOT
from bench.replies import (
    COMPLETION_BODY,
    GEMINI_BODY,
    GEMINI_EVENTS,
    MESSAGE_BODY,
    MESSAGE_EVENTS,
    RESPONSE_BODY,
    RESPONSE_EVENTS,
    STREAM_EVENTS,
)
from ingate_edge.sse import SseFramer
from ingate_providers import Shape
from ingate_translate import PAIRS, CodecPair, SseEvent, ir

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- translation:start -->", "<!-- translation:end -->"
REFERENCE: Final[tuple[Shape, Shape]] = ("openai-chat", "anthropic-messages")
JSON_TARGET_MS: Final = 1.5
CHUNK_TARGET_MS: Final = 0.3
CREATED: Final = 1_700_000_000


def _framed(raw: tuple[bytes, ...]) -> list[SseEvent]:
    framer = SseFramer()
    events = [SseEvent(event, data) for chunk in raw for event, data in framer.feed(chunk)]
    return events + [SseEvent(event, data) for event, data in framer.flush()]


def _hints(shape: Shape, mode: Mode) -> ir.Hints:
    """What the caller's path says: Gemini's names the model and whether it streams."""
    if shape != "gemini-generate":
        return ir.Hints()
    model = CALLERS[shape].paths[mode].rpartition("/models/")[2].partition(":")[0]
    return ir.Hints(model=model, stream=mode == "stream")


# What a caller of each shape sends (the wrk bench's requests), and what a provider of each
# shape answers (the bench upstream's). A shape without samples is listed as not measured.
REQUESTS: Final[dict[Mode, dict[Shape, tuple[bytes, ir.Hints]]]] = {
    mode: {shape: (caller.bodies[mode].encode(), _hints(shape, mode)) for shape, caller in CALLERS.items()}
    for mode in MODES
}
ANSWERS: Final[dict[Shape, bytes]] = {
    "openai-chat": COMPLETION_BODY,
    "anthropic-messages": MESSAGE_BODY,
    "gemini-generate": GEMINI_BODY,
    "openai-responses": RESPONSE_BODY,
}
STREAMS: Final[dict[Shape, list[SseEvent]]] = {
    "openai-chat": _framed(STREAM_EVENTS),
    "anthropic-messages": _framed(MESSAGE_EVENTS),
    "gemini-generate": _framed(GEMINI_EVENTS),
    "openai-responses": _framed(RESPONSE_EVENTS),
}


@dataclass
class Costs:
    """Per round, µs: one request, one answer, one stream event."""

    request_us: list[float] = field(default_factory=list)
    response_us: list[float] = field(default_factory=list)
    event_us: list[float] = field(default_factory=list)


def _per_call_us(call: Callable[[], object], calls: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(calls):
        call()
    return (time.perf_counter_ns() - started) / 1000 / calls


def _stream_once(pair: CodecPair, context: bytes, events: list[SseEvent]) -> None:
    state = b""
    for event in events:
        state, _ = pair.stream(state, context, [event], False)
    pair.stream(state, context, [], True)


def _measurable(key: tuple[Shape, Shape]) -> bool:
    client, backend = key
    return client in REQUESTS["json"] and backend in ANSWERS and backend in STREAMS


def _measure_pair(key: tuple[Shape, Shape], calls: int, cost: Costs) -> None:
    pair, (client, backend) = PAIRS[key], key
    (body, hints), answer, events = REQUESTS["json"][client], ANSWERS[backend], STREAMS[backend]
    context = pair.request(body, hints, CREATED).context
    stream_context = pair.request(*REQUESTS["stream"][client], CREATED).context
    cost.request_us.append(_per_call_us(lambda: pair.request(body, hints, CREATED), calls))
    cost.response_us.append(_per_call_us(lambda: pair.response(context, answer), calls))
    whole = _per_call_us(lambda: _stream_once(pair, stream_context, events), max(calls // len(events), 1))
    cost.event_us.append(whole / len(events))


def measure(rounds: int, calls: int) -> dict[tuple[Shape, Shape], Costs]:
    costs = {key: Costs() for key in PAIRS if _measurable(key)}
    for round_ in range(rounds):
        for key, cost in costs.items():
            _measure_pair(key, calls, cost)
        print(f"round {round_ + 1}/{rounds}", file=sys.stderr, flush=True)
    return costs


def _reference_end_to_end() -> tuple[float, float] | None:
    """The reference pair's measured end-to-end Δp50 (ms) for a JSON answer and per chunk."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    json_found = re.search(r"translation adds ≤ [\d.]+ ms p50, non-stream \(c=1\) \| ([\d.]+) ms", text)
    chunk_found = re.search(r"translation adds ≤ [\d.]+ ms p50 per stream chunk \(c=1\) \| ([\d.]+) ms", text)
    if json_found is None or chunk_found is None:
        return None
    return float(json_found.group(1)), float(chunk_found.group(1))


def _verdict(value_ms: float, target_ms: float) -> str:
    return f"{value_ms:.3f} ms — {'pass' if value_ms <= target_ms else '**MISS**'}"


def section(costs: dict[tuple[Shape, Shape], Costs], rounds: int, calls: int) -> str:
    median = statistics.median
    reference = costs[REFERENCE]
    ref_exchange = median(reference.request_us) + median(reference.response_us)
    ref_event = median(reference.event_us)
    measured = _reference_end_to_end()
    rows = []
    for (client, backend), cost in sorted(costs.items()):
        exchange = median(cost.request_us) + median(cost.response_us)
        event = median(cost.event_us)
        estimate = ["", ""]
        if measured is not None:
            estimate = [
                _verdict(measured[0] + (exchange - ref_exchange) / 1000, JSON_TARGET_MS),
                _verdict(measured[1] + (event - ref_event) / 1000, CHUNK_TARGET_MS),
            ]
        rows.append(
            f"| {client} → {backend} | {median(cost.request_us):.1f} | {median(cost.response_us):.1f}"
            f" | {exchange:.1f} ({exchange / ref_exchange:.2f} x) | {event:.1f} ({event / ref_event:.2f} x)"
            f" | {estimate[0]} | {estimate[1]} |"
        )
    missing = sorted(f"{client} → {backend}" for client, backend in PAIRS if (client, backend) not in costs)
    basis = (
        f"the measured {measured[0]:.3f} ms (JSON) and {measured[1]:.3f} ms (per chunk) of the reference pair"
        if measured is not None
        else "no end-to-end measurement of the reference pair yet (run `python -m bench`)"
    )
    lines = [
        START,
        "### Translation pairs, pure library",
        "",
        f"- Command: `python -m bench.translation --rounds {rounds} --calls {calls}` (part of `make bench`)",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; in-process, no services, every pair"
        " of the registry interleaved in each round.",
        "- Request: `CodecPair.request` on the wrk bench's request of the client shape (one message)."
        " Answer:"
        " `CodecPair.response` on the bench upstream's JSON answer of the backend shape. Stream event:"
        " the bench upstream's whole stream of the backend shape, one provider event per call plus the"
        " final call, divided by its events.",
        f"- Medians over {rounds} rounds of {calls:,} calls; "
        f"x: relative to {REFERENCE[0]} → {REFERENCE[1]}."
        f" Estimated end-to-end: {basis}, plus the pair's library difference from it.",
        "",
        "| pair | request µs | answer µs | request + answer µs | per stream event µs"
        f" | est. added p50, JSON (c=1, ≤ {JSON_TARGET_MS} ms) | est. per chunk (≤ {CHUNK_TARGET_MS} ms) |",
        "|---|---:|---:|---:|---:|---|---|",
        *rows,
    ]
    if missing:
        lines += ["", f"Not measured (no sample for a shape yet): {', '.join(missing)}."]
    return "\n".join([*lines, END])


def main() -> None:
    section_main(
        "python -m bench.translation",
        __doc__ or "",
        (("rounds", 9, None), ("calls", 400, "calls per measurement per round")),
        lambda rounds, calls: section(measure(rounds, calls), rounds, calls),
        (DOC, START, END, None),
    )


if __name__ == "__main__":
    main()
