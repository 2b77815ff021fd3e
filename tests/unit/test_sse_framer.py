"""The edge's SSE framing: the specification's line endings, fields and comments, fed at every
byte boundary."""

import pytest

from ingate_edge.sse import SseFramer

Events = list[tuple[str, str]]


def _framed(stream: bytes, cuts: list[int]) -> Events:
    framer = SseFramer()
    events: Events = []
    start = 0
    for cut in [*cuts, len(stream)]:
        events += framer.feed(stream[start:cut])
        start = cut
    return events + framer.flush()


CASES: list[tuple[str, bytes, Events]] = [
    ("one event", b"data: hello\n\n", [("", "hello")]),
    ("named", b"event: message_start\ndata: {}\n\n", [("message_start", "{}")]),
    ("default name", b"event: message\ndata: x\n\n", [("", "x")]),
    ("crlf", b"data: a\r\n\r\ndata: b\r\n\r\n", [("", "a"), ("", "b")]),
    ("cr", b"data: a\r\rdata: b\r\r", [("", "a"), ("", "b")]),
    ("mixed endings", b"data: a\r\ndata: b\rdata: c\n\r\n", [("", "a\nb\nc")]),
    ("multi-line data", b"data: a\ndata:b\ndata:  c\n\n", [("", "a\nb\n c")]),
    ("empty data line", b"data\n\n", [("", "")]),
    ("comment and unknown field", b": ping\nfoo: bar\ndata: x\n\n", [("", "x")]),
    ("comment only", b": keep-alive\n\n", []),
    ("blank lines only", b"\n\n\r\n", []),
    ("event without data", b"event: ping\n\n", [("ping", "")]),
    ("empty event name", b"event:\n\n", []),
    ("id and retry count", b"id: 7\n\nretry: 10\n\nretry: soon\n\n", [("", ""), ("", "")]),
    ("no final blank line", b"data: a\n\ndata: b", [("", "a"), ("", "b")]),
    ("no final newline at all", b"event: e\ndata: tail", [("e", "tail")]),
    ("unicode", "data: é€😀\n\n".encode(), [("", "é€😀")]),
    ("invalid utf-8", b"data: \xff\n\n", [("", "\ufffd")]),
    (
        "openai stream",
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n',
        [("", '{"choices":[{"delta":{"content":"Hi"}}]}'), ("", "[DONE]")],
    ),
]


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_framing_at_every_boundary(stream: bytes, expected: Events) -> None:
    assert _framed(stream, []) == expected
    for cut in range(len(stream) + 1):
        assert _framed(stream, [cut]) == expected, cut
    assert _framed(stream, list(range(1, len(stream)))) == expected  # one byte at a time


def test_events_come_out_as_soon_as_they_end() -> None:
    framer = SseFramer()
    assert framer.feed(b"data: a\n") == []
    assert framer.feed(b"\n") == [("", "a")]
    # A line ended by \r is complete at once; a \n that follows in the next read ends nothing.
    assert framer.feed(b"data: b\r\r") == [("", "b")]
    assert framer.feed(b"\ndata: c\r\n\r\n") == [("", "c")]
    assert framer.flush() == []


def test_long_line_over_many_reads() -> None:
    framer = SseFramer()
    value = "x" * 10_000
    stream = f"data: {value}\n\n".encode()
    events: Events = []
    for start in range(0, len(stream), 7):
        events += framer.feed(stream[start : start + 7])
    assert events == [("", value)]
