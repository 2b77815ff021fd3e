"""IR stream events as Ollama's NDJSON lines: the same bytes however the events are batched."""

import json

from ollama import ChatResponse, GenerateResponse

from ingate_translate import ir
from ingate_translate.codec import ClientCodec as Codec
from ingate_translate.shapes.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from ingate_translate.shapes.ollama_stream import BROKE_OFF
from tests.translate.support import CREATED, Json, batchings

CONTEXT = ir.Context(model="smart", created=CREATED, stream=True, include_usage=True)
WHEN = "2023-11-14T22:13:20Z"

START = ir.Start(id="msg_1", model="claude-sonnet-4", usage=ir.Usage(input_tokens=9))
FINISH = ir.Finish(stop="end", usage=ir.Usage(output_tokens=6))

TEXT_EVENTS: list[ir.Event] = [
    START,
    ir.PartStart(index=0, part=ir.Thinking()),
    ir.PartDelta(index=0, thinking="Short "),
    ir.PartDelta(index=0, thinking="answer."),
    ir.PartDelta(index=0, signature="sig"),
    ir.PartStop(index=0),
    ir.PartStart(index=1, part=ir.Text(text="")),
    ir.PartDelta(index=1, text="Hello"),
    ir.PartDelta(index=1, text=" world"),
    ir.PartStop(index=1),
    FINISH,
]

TOOL_EVENTS: list[ir.Event] = [
    START,
    ir.PartStart(index=0, part=ir.Text(text="")),
    ir.PartDelta(index=0, text="Checking."),
    ir.PartStop(index=0),
    ir.PartStart(index=1, part=ir.ToolCall(id="toolu_1", name="get_weather")),
    ir.PartDelta(index=1, arguments='{"ci'),
    ir.PartDelta(index=1, arguments='ty": "Paris"}'),
    ir.PartStart(index=2, part=ir.ToolCall(id="toolu_2", name="get_time", arguments={"zone": "CET"})),
    ir.PartStop(index=2),
    ir.PartStop(index=1),
    ir.Finish(stop="tool_calls", usage=ir.Usage(input_tokens=11, output_tokens=20)),
]


def run(codec: Codec, events: list[ir.Event], sizes: list[int], final_apart: bool) -> bytes:
    state, out, start = b"", b"", 0
    for number, size in enumerate(sizes):
        last = number == len(sizes) - 1
        state, produced = codec.write_stream(
            state, CONTEXT, events[start : start + size], last and not final_apart
        )
        out += produced
        start += size
    if final_apart:
        state, produced = codec.write_stream(state, CONTEXT, [], True)
        out += produced
    state, after = codec.write_stream(state, CONTEXT, events[-1:], True)
    assert after == b"", "a finished stream stays finished"
    return out


def every_batching(codec: Codec, events: list[ir.Event]) -> list[Json]:
    """The stream's lines, after checking the bytes are the same under every batching."""
    reference = run(codec, events, [len(events)], False)
    for sizes in batchings(len(events)):
        for final_apart in (False, True):
            assert run(codec, events, sizes, final_apart) == reference, (sizes, final_apart)
    assert reference.endswith(b"\n")
    return [json.loads(line) for line in reference.decode().splitlines()]


def message(content: str = "", **more: object) -> Json:
    return {"role": "assistant", "content": content, **more}


def chat_line(msg: Json) -> Json:
    return {"model": "smart", "created_at": WHEN, "done": False, "message": msg}


def final_line(input_tokens: int, output_tokens: int, reason: str = "stop", **body: object) -> Json:
    return {
        "model": "smart",
        "created_at": WHEN,
        "done": True,
        "done_reason": reason,
        "total_duration": 0,
        "load_duration": 0,
        "prompt_eval_count": input_tokens,
        "prompt_eval_duration": 0,
        "eval_count": output_tokens,
        "eval_duration": 0,
        **body,
    }


def test_thinking_and_text_stream_as_lines() -> None:
    lines = every_batching(OLLAMA_CHAT, TEXT_EVENTS)
    assert lines == [
        chat_line(message(thinking="Short ")),
        chat_line(message(thinking="answer.")),
        chat_line(message("Hello")),
        chat_line(message(" world")),
        final_line(9, 6, message=message()),  # the input count from the start, kept until the end
    ]
    for line in lines:
        ChatResponse.model_validate(line)


def test_tool_calls_are_sent_whole_when_their_part_stops() -> None:
    lines = every_batching(OLLAMA_CHAT, TOOL_EVENTS)
    assert lines == [
        chat_line(message("Checking.")),
        chat_line(message(tool_calls=[{"function": {"name": "get_time", "arguments": {"zone": "CET"}}}])),
        chat_line(
            message(tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}])
        ),
        final_line(11, 20, message=message()),
    ]
    calls = ChatResponse.model_validate(lines[2]).message.tool_calls or []
    assert dict(calls[0].function.arguments) == {"city": "Paris"}


def test_a_generate_stream() -> None:
    events: list[ir.Event] = [*TEXT_EVENTS[:-1], ir.Finish(stop="length", usage=ir.Usage(output_tokens=6))]
    lines = every_batching(OLLAMA_GENERATE, events)
    head = {"model": "smart", "created_at": WHEN, "done": False}
    assert lines == [
        {**head, "response": "", "thinking": "Short "},
        {**head, "response": "", "thinking": "answer."},
        {**head, "response": "Hello"},
        {**head, "response": " world"},
        final_line(9, 6, "length", response=""),
    ]
    for line in lines:
        GenerateResponse.model_validate(line)


def test_a_failure_in_the_stream_is_an_error_line() -> None:
    error = ir.Error(status=529, kind="overloaded", message="Overloaded")
    events: list[ir.Event] = [*TEXT_EVENTS[:8], ir.Failure(error=error)]
    lines = every_batching(OLLAMA_CHAT, events)
    assert lines[-1] == {"error": "Overloaded"}
    assert lines[-2] == chat_line(message("Hello"))


def test_a_stream_that_breaks_off_ends_with_an_error_line() -> None:
    lines = every_batching(OLLAMA_CHAT, TEXT_EVENTS[:8])
    assert lines[-1] == {"error": BROKE_OFF}
    assert all("done" in line and not line["done"] for line in lines[:-1])


def test_a_stream_that_ends_with_no_events() -> None:
    state, out = OLLAMA_CHAT.write_stream(b"", CONTEXT, [], True)
    assert json.loads(out) == {"error": BROKE_OFF}
    assert OLLAMA_CHAT.write_stream(state, CONTEXT, [FINISH], True)[1] == b""


def test_arguments_that_are_no_object_end_the_stream_with_an_error() -> None:
    events: list[ir.Event] = [
        START,
        ir.PartStart(index=0, part=ir.ToolCall(id="t", name="f")),
        ir.PartDelta(index=0, arguments="[1, 2"),
        ir.PartStop(index=0),
        FINISH,
    ]
    lines = every_batching(OLLAMA_CHAT, events)
    assert lines == [{"error": "The provider's arguments for tool 'f' are not a JSON object."}]


def test_redacted_thinking_and_signatures_send_nothing() -> None:
    events: list[ir.Event] = [
        START,
        ir.PartStart(index=0, part=ir.RedactedThinking(data="opaque")),
        ir.PartStop(index=0),
        ir.PartStart(index=1, part=ir.Thinking()),
        ir.PartDelta(index=1, signature="sig"),
        ir.PartStop(index=1),
        FINISH,
    ]
    assert every_batching(OLLAMA_CHAT, events) == [final_line(9, 6, message=message())]


def test_calls_left_open_at_the_finish_are_sent_before_it() -> None:
    events: list[ir.Event] = [
        START,
        ir.PartStart(index=0, part=ir.ToolCall(id="t", name="f")),
        ir.PartDelta(index=0, arguments='{"a": 1}'),
        ir.Finish(stop="tool_calls", usage=ir.Usage(output_tokens=3)),
    ]
    assert every_batching(OLLAMA_CHAT, events) == [
        chat_line(message(tool_calls=[{"function": {"name": "f", "arguments": {"a": 1}}}])),
        final_line(9, 3, message=message()),
    ]
