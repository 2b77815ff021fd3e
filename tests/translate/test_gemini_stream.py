"""Gemini streams through the gemini-generate codec: Gemini's SSE bytes split at every offset
through the edge's framer read the same, read as the whole answer would, and the stream the
codec writes for a Gemini caller reads back as the events it was written from."""

import json
from itertools import pairwise
from typing import Any

import pytest

from ingate_edge.sse import SseFramer
from ingate_translate import Assembly, SseEvent, ir
from ingate_translate.shapes.gemini import GeminiCodec
from ingate_translate.shapes.gemini_parts import seal, unseal
from tests.translate.support import batchings

CODEC = GeminiCodec()
CONTEXT = ir.Context(model="gemini-2.5-flash", stream=True)
SIGNATURE = "CiQB0e2Kb7xJc2lnbmF0dXJlK29mL3RoZS90aG91Z2h0Lw=="
Json = dict[str, Any]
BAD_CHUNK = "Gemini sent a stream event that is not a GenerateContentResponse."
USAGE: Json = {
    "promptTokenCount": 50,
    "candidatesTokenCount": 20,
    "totalTokenCount": 100,
    "thoughtsTokenCount": 30,
}


def chunk(*parts: Json, finish: str | None = None, usage: Json | None = None) -> Json:
    candidate: Json = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    body: Json = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "resp-7"}
    if usage:
        body["usageMetadata"] = usage
    return body


def sse(*chunks: Json | str) -> bytes:
    """As Gemini sends them: `data: <json>` and a blank line, CRLF line ends."""
    return b"".join(
        f"data: {item if isinstance(item, str) else json.dumps(item)}\r\n\r\n".encode() for item in chunks
    )


TOOLS = sse(
    chunk(
        {"text": "**Planning** the", "thought": True}, usage={"promptTokenCount": 50, "totalTokenCount": 50}
    ),
    chunk({"text": " answer", "thought": True}),
    chunk(
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIGNATURE}
    ),
    chunk({"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}, finish="STOP", usage=USAGE),
)
TEXT = sse(
    chunk({"text": "Bonjour "}),
    chunk({"text": "le monde — ça va ? 🌍"}),
    chunk({"text": "", "thoughtSignature": "U0lH"}, finish="STOP", usage=USAGE),
)
WHOLE = {
    TOOLS: chunk(
        {"text": "**Planning** the answer", "thought": True},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIGNATURE},
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
        finish="STOP",
        usage=USAGE,
    ),
    TEXT: chunk(
        {"text": "Bonjour le monde — ça va ? 🌍"},
        {"text": "", "thoughtSignature": "U0lH"},
        finish="STOP",
        usage=USAGE,
    ),
}


def frame(raw: bytes, cuts: list[int]) -> list[list[SseEvent]]:
    """The bytes as the edge hands them over: framed into events, one batch per read."""
    framer = SseFramer()
    edges = [0, *cuts, len(raw)]
    batches = [[SseEvent(e, d) for e, d in framer.feed(raw[a:b])] for a, b in pairwise(edges)]
    return [*batches, [SseEvent(e, d) for e, d in framer.flush()]]


def read_batches(batches: list[list[SseEvent]]) -> list[ir.Event]:
    state, out = b"", []
    for number, batch in enumerate(batches):
        state, events = CODEC.read_stream(state, batch, number == len(batches) - 1)
        out.extend(events)
    state, after = CODEC.read_stream(state, [SseEvent("", "{}")], True)  # a finished stream stays finished
    assert after == []
    return out


def read_every_split(raw: bytes) -> list[ir.Event]:
    reference = read_batches(frame(raw, []))
    for cut in range(1, len(raw)):
        assert read_batches(frame(raw, [cut])) == reference, f"split at {cut}"
    events = [event for batch in frame(raw, []) for event in batch]
    for sizes in batchings(len(events)):
        batches, start = [], 0
        for size in sizes:
            batches.append(events[start : start + size])
            start += size
        assert read_batches([*batches, []]) == reference, f"batch sizes {sizes}"
    return reference


def assemble(events: list[ir.Event]) -> ir.Response:
    """A stream's events as the answer they make up."""
    assembly = Assembly()
    assembly.add(events)
    return assembly.response()


def test_tool_calls_with_thinking() -> None:
    events = read_every_split(TOOLS)
    assert events == [
        ir.Start(id="resp-7", model="gemini-2.5-flash", usage=ir.Usage(input_tokens=50)),
        ir.PartStart(index=0, part=ir.Thinking()),
        ir.PartDelta(index=0, thinking="**Planning** the"),
        ir.PartDelta(index=0, thinking=" answer"),
        ir.PartStop(index=0),
        ir.PartStart(index=1, part=ir.Thinking()),
        ir.PartDelta(index=1, signature=SIGNATURE),
        ir.PartStop(index=1),
        ir.PartStart(index=2, part=ir.ToolCall(id="call_get_weather_0", name="get_weather")),
        ir.PartDelta(index=2, arguments='{"city":"Paris"}'),
        ir.PartStop(index=2),
        ir.PartStart(index=3, part=ir.ToolCall(id="call_get_weather_1", name="get_weather")),
        ir.PartDelta(index=3, arguments='{"city":"Rome"}'),
        ir.PartStop(index=3),
        ir.Finish(stop="tool_calls", usage=ir.Usage(input_tokens=50, output_tokens=50, reasoning_tokens=30)),
    ]


@pytest.mark.parametrize("raw", [TOOLS, TEXT], ids=["tools", "text"])
def test_a_stream_reads_as_the_whole_answer(raw: bytes) -> None:
    whole = CODEC.read_response(json.dumps(WHOLE[raw]).encode())
    assert assemble(read_every_split(raw)) == whole


def test_a_failure_inside_the_stream() -> None:
    error = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    events = read_every_split(sse(chunk({"text": "Hel"}), error, chunk({"text": "lo"}, finish="STOP")))
    assert events[-2:] == [
        ir.PartStop(index=0),
        ir.Failure(error=ir.Error(status=503, kind="overloaded", message="The model is overloaded.")),
    ]


def test_a_chunk_not_in_gemini_format() -> None:
    events = read_every_split(sse(chunk({"text": "Hi"}), "{not json", chunk({"text": "!"}, finish="STOP")))
    assert isinstance(events[-1], ir.Failure) and events[-1].error.status == 502
    assert not any(isinstance(event, ir.Finish) for event in events)


def test_a_chunk_nested_past_any_answer() -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    hostile = json.dumps(chunk({"functionCall": {"name": "f", "args": {}}})).replace("{}", deep)
    _, events = CODEC.read_stream(b"", [SseEvent("", hostile)], True)
    assert events == [ir.Failure(error=ir.Error(status=502, kind="server", message=BAD_CHUNK))]


def test_a_stream_that_breaks_off_gets_no_finish() -> None:
    events = read_every_split(sse(chunk({"text": "Hi"}), chunk({"text": " there"})))
    assert events[-1] == ir.PartDelta(index=0, text=" there")


def test_a_blocked_prompt() -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 8},
        "responseId": "r",
    }
    assert read_every_split(sse(blocked)) == [
        ir.Start(id="r", model="", usage=ir.Usage(input_tokens=8)),
        ir.Finish(stop="content_filter", usage=ir.Usage(input_tokens=8)),
    ]


# -- writing for a Gemini caller ---------------------------------------------------------


def write_batches(events: list[ir.Event], sizes: list[int], final_apart: bool) -> bytes:
    state, out, start = b"", b"", 0
    for number, size in enumerate(sizes):
        last = number == len(sizes) - 1 and not final_apart
        state, produced = CODEC.write_stream(state, CONTEXT, events[start : start + size], last)
        out += produced
        start += size
    if final_apart:
        state, produced = CODEC.write_stream(state, CONTEXT, [], True)
        out += produced
    state, after = CODEC.write_stream(state, CONTEXT, events[-1:], True)
    assert after == b""
    return out


def write_every_batching(events: list[ir.Event]) -> list[Json]:
    reference = write_batches(events, [len(events)], False)
    for sizes in batchings(len(events)):
        for final_apart in (False, True):
            assert write_batches(events, sizes, final_apart) == reference, (
                f"{sizes}, final apart: {final_apart}"
            )
    assert reference.endswith(b"\n\n") and all(
        line.startswith(b"data: ") for line in reference.split(b"\n") if line
    )
    return [json.loads(data) for _, data in SseFramer().feed(reference)]


FROM_ANTHROPIC: list[ir.Event] = [
    ir.Start(id="msg_01", model="claude-x", usage=ir.Usage(input_tokens=10)),
    ir.PartStart(index=0, part=ir.Thinking()),
    ir.PartDelta(index=0, thinking="Let me"),
    ir.PartDelta(index=0, thinking=" see."),
    ir.PartDelta(index=0, signature="anthropic-sig"),
    ir.PartStop(index=0),
    ir.PartStart(index=1, part=ir.RedactedThinking(data="zzz")),
    ir.PartStop(index=1),
    ir.PartStart(index=2, part=ir.Text(text="")),
    ir.PartDelta(index=2, text="Checking."),
    ir.PartStop(index=2),
    ir.PartStart(index=3, part=ir.ToolCall(id="toolu_01", name="get_weather")),
    ir.PartDelta(index=3, arguments='{"city": '),
    ir.PartDelta(index=3, arguments='"Paris"}'),
    ir.PartStop(index=3),
    ir.Finish(stop="tool_calls", usage=ir.Usage(input_tokens=10, output_tokens=40, reasoning_tokens=25)),
]


def test_write_stream_for_a_gemini_caller() -> None:
    parts = [
        chunk_["candidates"][0].get("content", {}).get("parts")
        for chunk_ in write_every_batching(FROM_ANTHROPIC)
    ]
    assert parts == [
        [{"text": "Let me", "thought": True}],
        [{"text": " see.", "thought": True}],
        [{"text": "", "thought": True, "thoughtSignature": seal("anthropic-sig")}],
        [{"text": "Checking."}],
        [{"functionCall": {"id": "toolu_01", "name": "get_weather", "args": {"city": "Paris"}}}],
        None,
    ]
    last = write_every_batching(FROM_ANTHROPIC)[-1]
    assert last == {
        "candidates": [{"finishReason": "STOP", "index": 0}],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 15,
            "totalTokenCount": 50,
            "thoughtsTokenCount": 25,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "msg_01",
    }


def test_what_the_writer_sends_reads_back_as_the_same_answer() -> None:
    written = write_batches(FROM_ANTHROPIC, [len(FROM_ANTHROPIC)], False)
    again = assemble(read_every_split(written))
    for part in again.parts:  # the caller sends sealed signatures back, and they are opened
        if isinstance(part, ir.Thinking):
            part.signature = unseal(part.signature)
    expected = assemble(FROM_ANTHROPIC)
    expected.parts = [part for part in expected.parts if not isinstance(part, ir.RedactedThinking)]
    expected.id, expected.model = "msg_01", "gemini-2.5-flash"
    assert again == expected


@pytest.mark.parametrize("raw", [TOOLS, TEXT], ids=["tools", "text"])
def test_a_gemini_stream_written_back_has_gemini_parts(raw: bytes) -> None:
    """Read and written back, Gemini's stream carries its parts, signatures on the same parts."""
    events = read_batches(frame(raw, []))
    sent = [json.loads(data) for batch in frame(raw, []) for _, data in ((e.event, e.data) for e in batch)]
    got = write_every_batching(events)
    for item in got:
        for part in item["candidates"][0].get("content", {}).get("parts", []):
            if "thoughtSignature" in part:
                part["thoughtSignature"] = unseal(part["thoughtSignature"])
    parts = [
        part for item in sent for part in item["candidates"][0]["content"]["parts"] if part != {"text": ""}
    ]
    assert [
        part for item in got for part in item["candidates"][0].get("content", {}).get("parts", [])
    ] == parts
    assert got[-1]["candidates"][0]["finishReason"] == "STOP"


def test_a_signature_with_nothing_after_it_rides_on_the_last_chunk() -> None:
    events: list[ir.Event] = [
        ir.Start(id="r", model="m"),
        ir.PartStart(index=0, part=ir.Thinking()),
        ir.PartDelta(index=0, signature="S"),
        ir.PartStop(index=0),
        ir.Finish(),
    ]
    assert write_every_batching(events)[-1]["candidates"][0] == {
        "content": {"role": "model", "parts": [{"text": "", "thoughtSignature": seal("S")}]},
        "finishReason": "STOP",
        "index": 0,
    }


BROKEN: list[tuple[list[ir.Event], int, str]] = [
    (
        [
            ir.Start(id="r", model="m"),
            ir.PartStart(index=0, part=ir.Text(text="")),
            ir.PartDelta(index=0, text="Hi"),
        ],
        502,
        "INTERNAL",
    ),
    (
        [
            ir.Start(id="r", model="m"),
            ir.Failure(error=ir.Error(status=429, kind="rate_limit", message="slow down")),
        ],
        429,
        "RESOURCE_EXHAUSTED",
    ),
    (
        [
            ir.Start(id="r", model="m"),
            ir.PartStart(index=0, part=ir.ToolCall(id="c", name="f")),
            ir.PartDelta(index=0, arguments="{oops"),
            ir.PartStop(index=0),
            ir.Finish(),
        ],
        502,
        "INTERNAL",
    ),
]


@pytest.mark.parametrize(("events", "code", "status"), BROKEN)
def test_a_broken_stream_ends_with_an_error_chunk(events: list[ir.Event], code: int, status: str) -> None:
    """The google-genai SDK raises on a chunk that begins `{"error":`."""
    last = SseFramer().feed(write_batches(events, [len(events)], False))[-1][1]
    assert last.startswith('{"error":')
    error = json.loads(last)["error"]
    assert (error["code"], error["status"]) == (code, status)


def events_of(response: ir.Response) -> list[ir.Event]:
    """An answer as the stream events a backend codec reads it as."""
    events: list[ir.Event] = [ir.Start(id=response.id, model=response.model)]
    for index, part in enumerate(response.parts):
        if isinstance(part, ir.Text):
            events += [
                ir.PartStart(index=index, part=ir.Text(text="")),
                ir.PartDelta(index=index, text=part.text),
            ]
        elif isinstance(part, ir.Thinking):
            deltas = [
                ir.PartDelta(index=index, thinking=part.text),
                ir.PartDelta(index=index, signature=part.signature),
            ]
            events += [ir.PartStart(index=index, part=ir.Thinking()), *deltas]
        elif isinstance(part, ir.ToolCall):
            arguments = ir.PartDelta(index=index, arguments=json.dumps(part.arguments))
            events += [ir.PartStart(index=index, part=ir.ToolCall(id=part.id, name=part.name)), arguments]
        else:
            events.append(ir.PartStart(index=index, part=part))
        events.append(ir.PartStop(index=index))
    return [*events, ir.Finish(stop=response.stop, usage=response.usage)]


def test_an_answer_streamed_reads_as_the_answer() -> None:
    answer = ir.Response(
        id="r",
        model="m",
        parts=[
            ir.Thinking(text="T", signature="S"),
            ir.Text(text="Hi"),
            ir.ToolCall(id="c", name="f", arguments={"a": 1}),
        ],
        stop="tool_calls",
        usage=ir.Usage(input_tokens=1, output_tokens=2),
    )
    assert assemble(events_of(answer)) == answer
