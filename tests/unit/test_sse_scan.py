"""The relay's byte-level SSE scan: the same events as the spec framer, at any chunk boundary,
and the taps built on it count usage exactly, hostile streams included."""

import json

import pytest

from ingate_edge.metering import stream_tap
from ingate_edge.sse import SseFramer
from ingate_edge.sse_scan import EventScanner, event_data
from ingate_edge.usage_meter import DEFERRED_BYTES, UsageMeter
from ingate_providers import FORMATS, Reported


@pytest.mark.parametrize(
    ("block", "data"),
    [
        (b'data: {"a":1}', b'{"a":1}'),
        (b'data:{"a":1}', b'{"a":1}'),  # the space after the colon is optional
        (b"data:  two spaces", b" two spaces"),  # only one is dropped
        (b"event: message_start\ndata: {}", b"{}"),
        (b"data: first\ndata: second", b"first\nsecond"),
        (b": a comment\ndata: x", b"x"),
        (b": only a comment", b""),
        (b"id: 7\nretry: 10\ndata: x", b"x"),
        (b"data", b""),  # a field without a colon has an empty value
        (b"data\ndata: y", b"\ny"),
        (b"\ndata: after an extra blank line", b"after an extra blank line"),
        (b"", b""),
        (b"datum: not data", b""),
        (b"data: \xff\xfe not utf-8", b"\xff\xfe not utf-8"),  # bytes stay bytes
    ],
)
def test_event_data(block: bytes, data: bytes) -> None:
    assert event_data(block) == data


def _scan(stream: bytes, step: int) -> tuple[list[bytes], bytes]:
    scanner = EventScanner()
    blocks: list[bytes] = []
    for i in range(0, len(stream), step):
        blocks += scanner.feed(stream[i : i + step])
    return blocks, scanner.take_partial()


def _spec_data(stream: bytes) -> list[str]:
    framer = SseFramer()
    return [data for _, data in framer.feed(stream) if data]


STREAMS = [
    b'data: {"x":1}\n\ndata: {"x":2}\n\n',
    b"event: a\ndata: 1\n\nevent: b\ndata: 2\ndata: 3\n\n",
    b": keep-alive\n\ndata: x\n\n\n\ndata: y\n\n",
    b"data: " + b"z" * 300_000 + b"\n\ndata: small\n\n",  # a huge frame, split into many chunks
    b"data:\n\ndata: after an empty one\n\n",
]


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 4096, 1_000_000])
def test_the_scanner_finds_what_the_spec_framer_finds(stream: bytes, step: int) -> None:
    blocks, partial = _scan(stream, step)
    assert partial == b""
    assert [event_data(b).decode() for b in blocks if event_data(b)] == _spec_data(stream)
    assert b"".join(block + b"\n\n" for block in blocks) == stream  # nothing lost or added


def _whole(scanner: EventScanner) -> bool:
    return scanner.whole  # read through a call: mypy would keep the first assert's narrowing


def test_whole_says_when_a_chunk_is_exactly_complete_events() -> None:
    scanner = EventScanner()
    assert scanner.feed(b"data: 1\n\ndata: 2\n\n") == [b"data: 1", b"data: 2"]
    assert _whole(scanner)
    assert scanner.feed(b"data: 3\n") == []
    assert not _whole(scanner)
    assert scanner.feed(b"\ndata: 4\n\n") == [b"data: 3", b"data: 4"]
    assert not _whole(scanner)  # it finished an event begun before
    assert scanner.feed(b"data: 5\n\ndata: 6") == [b"data: 5"]
    assert not _whole(scanner)  # it holds the start of another
    assert scanner.take_partial() == b"data: 6"
    assert scanner.take_partial() == b""


OPENAI_DELTAS = b"".join(
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n' % word
    for word in (b"Hello", b" w\xc3\xb6rld", b" \\u00e9\\n")
)
USAGE_CHUNK = b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}\n\n'
DONE = b"data: [DONE]\n\n"
MALFORMED = b'data: {not json\n\ndata: [1,2\n\ndata: {"choices":[{"delta":{"content":7}}]}\n\n'


async def _relay(stream: bytes, step: int, strip: bool) -> tuple[bytes, UsageMeter]:
    meter = UsageMeter()
    tap = stream_tap(FORMATS["openai"], meter, strip_usage_chunk=strip)
    out = b""
    for i in range(0, len(stream), step):
        out += await tap.feed(stream[i : i + step])
    return out + await tap.finish(), meter


# (stream, strip, what the caller gets, input and output tokens after the estimate, estimated)
CASES = [
    (OPENAI_DELTAS + USAGE_CHUNK + DONE, False, OPENAI_DELTAS + USAGE_CHUNK + DONE, (5, 3), False),
    (OPENAI_DELTAS + USAGE_CHUNK + DONE, True, OPENAI_DELTAS + DONE, (5, 3), False),
    # No usage chunk: the deferred deltas are counted: "Hello wörld é\n" is 16 bytes, 4 tokens.
    (OPENAI_DELTAS + DONE, False, OPENAI_DELTAS + DONE, (100, 4), True),
    (OPENAI_DELTAS + DONE, True, OPENAI_DELTAS + DONE, (100, 4), True),
    # Cut off mid-event: the unterminated tail still counts, and is passed on as it came.
    (OPENAI_DELTAS + USAGE_CHUNK[:-2], False, OPENAI_DELTAS + USAGE_CHUNK[:-2], (5, 3), False),
    (OPENAI_DELTAS + USAGE_CHUNK[:-2], True, OPENAI_DELTAS, (5, 3), False),
    # Malformed events count for nothing and are relayed untouched.
    (MALFORMED + DONE, True, MALFORMED + DONE, (100, 0), True),
    # CRLF framing: the spec framer takes over, and the result is the same.
    (
        (OPENAI_DELTAS + USAGE_CHUNK + DONE).replace(b"\n", b"\r\n"),
        False,
        (OPENAI_DELTAS + USAGE_CHUNK + DONE).replace(b"\n", b"\r\n"),
        (5, 3),
        False,
    ),
]


@pytest.mark.parametrize(("stream", "strip", "out", "tokens", "estimated"), CASES)
@pytest.mark.parametrize("step", [1, 5, 17, 100_000])
async def test_taps_count_exactly_at_any_boundary(
    stream: bytes, strip: bool, out: bytes, tokens: tuple[int, int], estimated: bool, step: int
) -> None:
    relayed, meter = await _relay(stream, step, strip)
    assert relayed == out
    meter.estimate_missing(request_bytes=400)
    assert (meter.usage.input_tokens, meter.usage.output_tokens) == tokens
    assert meter.usage.estimated is estimated


async def test_a_whole_chunk_is_passed_on_as_the_same_object() -> None:
    tap = stream_tap(FORMATS["openai"], UsageMeter(), strip_usage_chunk=True)
    assert await tap.feed(OPENAI_DELTAS) is OPENAI_DELTAS


def test_deferred_events_are_bounded_and_dropped_once_usage_is_reported() -> None:
    fmt = FORMATS["openai"]
    event = b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": "abcd"}}]}).encode()
    meter = UsageMeter()
    meter.streamed = True
    for _ in range(DEFERRED_BYTES // len(event) + 2):
        meter.defer_blocks(fmt, [event], len(event))
    assert meter.generated_bytes > 0  # past the bound they were counted, not kept
    meter.read_event(fmt, b'{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}', True)
    assert meter.reported == Reported.BOTH
    meter.defer_blocks(fmt, [event], len(event))  # after a full report nothing more is kept
    meter.estimate_missing(request_bytes=400)
    assert (meter.usage.input_tokens, meter.usage.output_tokens, meter.usage.estimated) == (1, 2, False)
