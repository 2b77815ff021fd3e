"""Streams folded into the one answer they add up to: IR events into an ir.Response, and each
shape's stream bytes into the caller's non-stream JSON, split at every batching."""

import json
from typing import Any

import pytest

from ingate_edge.sse import SseFramer
from ingate_providers import Shape
from ingate_translate import CLIENT_CODECS, Assembly, StreamAssembly, ir

Json = dict[str, Any]
CONTEXT = ir.Context(model="the-model", created=1_700_000_000)
CALL = ir.ToolCall(id="call_1", name="weather", arguments={})
USAGE = ir.Usage(input_tokens=12, output_tokens=7)


def start(usage: ir.Usage | None = None) -> ir.Start:
    return ir.Start(id="msg_1", model="the-model", usage=usage)


TEXT_AND_TOOL: list[ir.Event] = [
    start(),
    ir.PartStart(index=0, part=ir.Text(text="")),
    ir.PartDelta(index=0, text="It is "),
    ir.PartDelta(index=0, text="sunny."),
    ir.PartStop(index=0),
    ir.PartStart(index=1, part=CALL),
    ir.PartDelta(index=1, arguments='{"city": '),
    ir.PartDelta(index=1, arguments='"Paris"}'),
    ir.PartStop(index=1),
    ir.Finish(stop="tool_calls", usage=USAGE),
]
TEXT_AND_TOOL_ANSWER = ir.Response(
    id="msg_1",
    model="the-model",
    parts=[
        ir.Text(text="It is sunny."),
        ir.ToolCall(id="call_1", name="weather", arguments={"city": "Paris"}),
    ],
    stop="tool_calls",
    usage=USAGE,
)

FOLDS: list[tuple[str, list[ir.Event], ir.Response]] = [
    ("text and a tool call", TEXT_AND_TOOL, TEXT_AND_TOOL_ANSWER),
    (
        "thinking with its signature",
        [
            start(),
            ir.PartStart(index=0, part=ir.Thinking()),
            ir.PartDelta(index=0, thinking="Let me "),
            ir.PartDelta(index=0, thinking="think."),
            ir.PartDelta(index=0, signature="sig=="),
            ir.PartStop(index=0),
            ir.Finish(),
        ],
        ir.Response(
            id="msg_1", model="the-model", parts=[ir.Thinking(text="Let me think.", signature="sig==")]
        ),
    ),
    (
        "input counted at the start, output at the end",
        [
            start(ir.Usage(input_tokens=30, cache_read_tokens=10)),
            ir.Finish(stop="length", usage=ir.Usage(output_tokens=5)),
        ],
        ir.Response(
            id="msg_1",
            model="the-model",
            stop="length",
            usage=ir.Usage(input_tokens=30, output_tokens=5, cache_read_tokens=10),
        ),
    ),
    (
        "a delta without its start keeps its text",
        [start(), ir.PartDelta(index=3, text="orphan")],
        ir.Response(id="msg_1", model="the-model", parts=[ir.Text(text="orphan")]),
    ),
    (
        "a stream cut inside a tool call keeps the arguments' text",
        [start(), ir.PartStart(index=0, part=CALL), ir.PartDelta(index=0, arguments='{"city": "Pa')],
        ir.Response(
            id="msg_1",
            model="the-model",
            parts=[ir.ToolCall(id="call_1", name="weather", arguments={"_unparsed": '{"city": "Pa'})],
        ),
    ),
    (
        "a failure keeps what came before it",
        [
            start(),
            ir.PartStart(index=0, part=ir.Text(text="")),
            ir.PartDelta(index=0, text="half"),
            ir.Failure(error=ir.Error(status=529, kind="overloaded", message="busy")),
        ],
        ir.Response(id="msg_1", model="the-model", parts=[ir.Text(text="half")]),
    ),
]


@pytest.mark.parametrize(("events", "expected"), [(e, r) for _, e, r in FOLDS], ids=[n for n, _, _ in FOLDS])
def test_events_fold_into_the_answer(events: list[ir.Event], expected: ir.Response) -> None:
    whole = Assembly()
    whole.add(events)
    assert whole.response() == expected
    one_by_one = Assembly()
    for event in events:
        one_by_one.add([event])
    assert one_by_one.response() == expected


def test_the_reader_s_parts_are_not_changed() -> None:
    part = ir.Text(text="")
    assembly = Assembly()
    assembly.add([start(), ir.PartStart(index=0, part=part), ir.PartDelta(index=0, text="x")])
    assert part.text == ""
    assert assembly.text() == "x"


def stream_bytes(shape: Shape, events: list[ir.Event]) -> bytes:
    """The stream a provider of `shape` sends for these events: the shape's own stream writer."""
    _, body = CLIENT_CODECS[shape].write_stream(
        b"", ir.Context(model="the-model", stream=True, include_usage=True), events, True
    )
    return body


def assemble(backend: Shape, client: Shape, raw: bytes, chunk: int) -> Json:
    """`raw` fed `chunk` bytes at a time through the edge's framer, as the edge would."""
    assembly = StreamAssembly(backend, client)
    framer = SseFramer()
    for offset in range(0, len(raw), chunk):
        assembly.feed(framer.feed(raw[offset : offset + chunk]))
    assembly.feed(framer.flush())
    answer: Json = json.loads(assembly.finish(CONTEXT))
    return answer


def expected(client: Shape, response: ir.Response) -> Json:
    answer: Json = json.loads(CLIENT_CODECS[client].write_response(response, CONTEXT))
    return answer


# Every shape a provider streams in, as its own caller would read it (a native stream), and
# OpenAI chat for Ollama callers (a translated one: Ollama providers are sent OpenAI chat).
SHAPES: list[tuple[Shape, Shape]] = [
    ("openai-chat", "openai-chat"),
    ("anthropic-messages", "anthropic-messages"),
    ("openai-responses", "openai-responses"),
    ("gemini-generate", "gemini-generate"),
    ("openai-chat", "ollama-chat"),
    ("anthropic-messages", "openai-chat"),
]


@pytest.mark.parametrize(("backend", "client"), SHAPES)
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_a_stream_is_stored_as_the_answer_a_non_stream_call_gets(
    backend: Shape, client: Shape, chunk: int
) -> None:
    raw = stream_bytes(backend, TEXT_AND_TOOL)
    answer = assemble(backend, client, raw, chunk)
    reference = expected(client, TEXT_AND_TOOL_ANSWER)
    for volatile in ("id", "created", "created_at", "responseId"):  # writers may mint their own
        answer.pop(volatile, None)
        reference.pop(volatile, None)
    assert answer == reference
    assert "sunny" in json.dumps(answer) and "Paris" in json.dumps(answer)


def test_an_openai_chat_stream_as_sent_by_openai() -> None:
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [c]}
        for c in (
            {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None},
            {"index": 0, "delta": {"content": "lo"}, "finish_reason": None},
            {"index": 0, "delta": {}, "finish_reason": "stop"},
        )
    ]
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    chunks.append(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o",
            "choices": [],
            "usage": usage,
        }
    )
    raw = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"
    answer = assemble("openai-chat", "openai-chat", raw, 5)
    assert answer["choices"][0]["message"]["content"] == "Hello"
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] == 3 and answer["usage"]["completion_tokens"] == 2


@pytest.mark.parametrize(
    "events",
    [[("", "not json at all")], [("", '{"choices": 5}')], [("", "\x00\xff" * 100)]],
)
def test_a_stream_that_is_not_in_its_format_stores_what_it_can(events: list[tuple[str, str]]) -> None:
    assembly = StreamAssembly("openai-chat", "openai-chat")
    assembly.feed([("", "data-less"), *events])
    assert isinstance(assembly.finish(CONTEXT), str)  # never raises


def test_supports_names_the_shapes_with_codecs() -> None:
    assert StreamAssembly.supports("openai-chat", "ollama-chat")
    assert not StreamAssembly.supports("ollama-chat", "ollama-chat")  # Ollama streams NDJSON
    assert not StreamAssembly.supports(None, "openai-chat")
