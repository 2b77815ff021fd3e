"""The bench upstream's constant answers are what each provider really sends: the translator's
own codecs read every one of them, JSON and stream, to the same reply, and the usage the edge
meters from them is the same in every dialect."""

import pytest

from bench.cases import CALLERS, CASES
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
from ingate_edge.sse import SseFramer
from ingate_providers import FORMATS, Format, Shape, Usage
from ingate_translate import PAIRS, SseEvent, ir

_REPLY = "Hello! How can I help you today?"
_ANSWERS: dict[Shape, tuple[bytes, tuple[bytes, ...]]] = {
    "openai-chat": (COMPLETION_BODY, STREAM_EVENTS),
    "anthropic-messages": (MESSAGE_BODY, MESSAGE_EVENTS),
    "gemini-generate": (GEMINI_BODY, GEMINI_EVENTS),
    "openai-responses": (RESPONSE_BODY, RESPONSE_EVENTS),
}
_FORMATS: dict[Shape, Format] = {
    "openai-chat": "openai",
    "anthropic-messages": "anthropic",
    "gemini-generate": "gemini",
    "openai-responses": "openai",
}


def _events(raw: tuple[bytes, ...]) -> list[SseEvent]:
    framer = SseFramer()
    events = [SseEvent(name, data) for chunk in raw for name, data in framer.feed(chunk)]
    return events + [SseEvent(name, data) for name, data in framer.flush()]


def _context(client: Shape, backend: Shape, stream: bool) -> bytes:
    body = CALLERS[client].bodies["stream" if stream else "json"].encode()
    hints = ir.Hints(model="m", stream=stream) if client == "gemini-generate" else ir.Hints()
    return PAIRS[(client, backend)].request(body, hints, 1_700_000_000).context


@pytest.mark.parametrize("backend", list(_ANSWERS))
def test_every_answer_reads_as_its_provider_format(backend: Shape) -> None:
    client: Shape = "anthropic-messages" if backend == "openai-chat" else "openai-chat"
    pair = PAIRS[(client, backend)]
    body, raw = _ANSWERS[backend]
    assert _REPLY.encode() in pair.response(_context(client, backend, False), body)
    events = _events(raw)
    state, out = pair.stream(b"", _context(client, backend, True), events, False)
    _, tail = pair.stream(state, _context(client, backend, True), [], True)
    streamed = out + tail
    # Every text delta reached the caller's stream, in order.
    positions = [streamed.find(token) for token in (b"Hello", b" How", b" help", b" today")]
    assert -1 not in positions and positions == sorted(positions)
    assert len(events) >= TEXT_DELTAS


def test_every_translated_case_has_a_pair() -> None:
    for case in CASES:
        if case.via == "translated" and case.backend_shape is not None:
            assert (case.caller, case.backend_shape) in PAIRS


@pytest.mark.parametrize("backend", list(_ANSWERS))
def test_every_json_answer_reports_the_same_usage(backend: Shape) -> None:
    usage = Usage()
    FORMATS[_FORMATS[backend]].read_usage(_ANSWERS[backend][0], usage)
    assert (usage.input_tokens, usage.output_tokens) == (9, TEXT_DELTAS)
