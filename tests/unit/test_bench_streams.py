"""The streams bench's own pieces: its paced upstream's frames and its load generator's decoding."""

import json

import pytest

from bench.stream_load import ChunkedDecoder
from bench.stream_upstream import chunked, stream_events
from bench.streams import percentile, request_body

BODY = b"".join(chunked(p) for p in (b"data: 1\n\n", b"x" * 70_000, b"\r\n")) + b"0\r\n\r\n"


@pytest.mark.parametrize("step", [1, 2, 3, 5, 64, 100_000])
def test_chunked_decoder_at_any_boundary(step: int) -> None:
    decoder = ChunkedDecoder()
    out = b""
    for i in range(0, len(BODY), step):
        out += decoder.feed(BODY[i : i + step])
    assert out == b"data: 1\n\n" + b"x" * 70_000 + b"\r\n"
    assert decoder.done


@pytest.mark.parametrize(
    ("encoded", "payload"),
    [
        (b"0\r\n\r\n", b""),
        (b"3;ext=1\r\nabc\r\n0\r\n\r\n", b"abc"),  # chunk extensions are ignored
        (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),  # hex sizes, either case
    ],
)
def test_chunked_decoder_cases(encoded: bytes, payload: bytes) -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(encoded) == payload
    assert decoder.done


def test_stream_events_are_sse_chat_chunks() -> None:
    deltas, usage, done = stream_events(64)
    assert len(deltas) == 64
    for event in (*deltas, usage):
        assert event.startswith(b"data: ")
        assert event.endswith(b"\n\n")
        assert json.loads(event[6:])["object"] == "chat.completion.chunk"
    assert json.loads(deltas[-1][6:])["choices"][0]["finish_reason"] == "stop"
    assert json.loads(usage[6:])["usage"]["completion_tokens"] == 64
    assert done == b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.99, 0.0),
        ([5.0], 0.99, 5.0),
        ([float(i) for i in range(101)], 0.99, 99.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_request_body_asks_for_usage_only_when_told() -> None:
    assert "stream_options" not in json.loads(request_body(False))
    assert json.loads(request_body(True))["stream_options"] == {"include_usage": True}
