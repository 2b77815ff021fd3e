"""Responses API streams written for a Responses caller: IR events as the named SSE events the
openai SDK accumulates, under every batching and framed from bytes split at every offset."""

import json
from itertools import pairwise
from typing import Any

import pydantic
import pytest
from openai import omit
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import ParsedResponse, ResponseStreamEvent

from ingate_edge.sse import SseFramer
from ingate_translate import SseEvent, ir
from ingate_translate.shapes.openai_responses import REDACTED_MARKER, OpenAIResponses
from tests.translate.support import CREATED, assert_known_fields, batchings

CODEC = OpenAIResponses()
CONTEXT = ir.Context(model="claude-sonnet-4-5", created=CREATED, stream=True)
EVENT: pydantic.TypeAdapter[ResponseStreamEvent] = pydantic.TypeAdapter(ResponseStreamEvent)


def start(usage: ir.Usage | None = None) -> ir.Start:
    return ir.Start(id="msg_01S", model="claude-sonnet-4-5-20250929", usage=usage)


def text(index: int, *pieces: str) -> list[ir.Event]:
    deltas: list[ir.Event] = [ir.PartDelta(index=index, text=piece) for piece in pieces]
    return [ir.PartStart(index=index, part=ir.Text(text="")), *deltas, ir.PartStop(index=index)]


def call(index: int, call_id: str, name: str, *pieces: str) -> list[ir.Event]:
    deltas: list[ir.Event] = [ir.PartDelta(index=index, arguments=piece) for piece in pieces]
    return [
        ir.PartStart(index=index, part=ir.ToolCall(id=call_id, name=name)),
        *deltas,
        ir.PartStop(index=index),
    ]


def thinking(index: int, signature: str, *pieces: str) -> list[ir.Event]:
    deltas: list[ir.Event] = [ir.PartDelta(index=index, thinking=piece) for piece in pieces]
    return [
        ir.PartStart(index=index, part=ir.Thinking()),
        *deltas,
        ir.PartDelta(index=index, signature=signature),
        ir.PartStop(index=index),
    ]


FINISH_USAGE = ir.Usage(input_tokens=50, output_tokens=20, cache_read_tokens=30, reasoning_tokens=5)
STREAMS: dict[str, list[ir.Event]] = {
    "text": [start(), *text(0, "Hel", "lo", " there"), ir.Finish(stop="end", usage=FINISH_USAGE)],
    "thinking, text and tools": [
        start(ir.Usage(input_tokens=50, cache_read_tokens=30)),
        *thinking(0, "EqQBCgIYAhIM==", "The user ", "wants weather."),
        *text(1, "Checking ", "both."),
        *call(2, "toolu_1", "weather", '{"city": ', '"Paris"}'),
        *call(3, "toolu_2", "weather"),
        ir.Finish(stop="tool_calls", usage=ir.Usage(output_tokens=20, reasoning_tokens=5)),
    ],
    "redacted and signature-only thinking": [
        start(),
        ir.PartStart(index=0, part=ir.RedactedThinking(data="EmwKAhgBEgy3va3p")),
        ir.PartStop(index=0),
        *thinking(1, "sig-only"),
        *text(2, "ok"),
        ir.Finish(stop="end", usage=FINISH_USAGE),
    ],
    "cut off": [start(), *text(0, "Once upon"), ir.Finish(stop="length", usage=FINISH_USAGE)],
    "failure": [
        start(),
        *text(0, "par"),
        ir.Failure(error=ir.Error(status=529, kind="overloaded", message="Overloaded")),
    ],
    "broken off": [start(), ir.PartStart(index=0, part=ir.Text(text="")), ir.PartDelta(index=0, text="hal")],
    "nothing at all": [],
}


def write_all(events: list[ir.Event], sizes: list[int], final_apart: bool = False) -> bytes:
    state, out = b"", b""
    begin = 0
    for number, size in enumerate(sizes):
        last = number == len(sizes) - 1
        state, chunk = CODEC.write_stream(
            state, CONTEXT, events[begin : begin + size], last and not final_apart
        )
        out += chunk
        begin += size
    if final_apart:
        state, chunk = CODEC.write_stream(state, CONTEXT, [], True)
        out += chunk
    state, after = CODEC.write_stream(state, CONTEXT, events[-1:], True)  # finished stays finished
    assert after == b""
    return out


def write_every_batching(events: list[ir.Event]) -> bytes:
    reference = write_all(events, [len(events)] if events else [0])
    for sizes in batchings(len(events)) if events else []:
        for final_apart in (False, True):
            assert write_all(events, sizes, final_apart) == reference, (sizes, final_apart)
    return reference


def frame(data: bytes, *cuts: int) -> list[SseEvent]:
    framer = SseFramer()
    edges = [0, *cuts, len(data)]
    found = [pair for a, b in pairwise(edges) for pair in framer.feed(data[a:b])]
    return [SseEvent(name, payload) for name, payload in [*found, *framer.flush()]]


def frame_at_every_offset(data: bytes) -> list[SseEvent]:
    reference = frame(data)
    for cut in range(1, len(data)):
        assert frame(data, cut) == reference, f"split at byte {cut}"
    return reference


def sdk_events(events: list[SseEvent]) -> list[Any]:
    """Each event as the SDK's own type: named as its type, numbered in order, no unknown fields."""
    parsed = []
    for number, item in enumerate(events):
        data = json.loads(item.data)
        assert item.event == data["type"] and data["sequence_number"] == number
        event = EVENT.validate_python(data)
        assert_known_fields(event)
        parsed.append(event)
    return parsed


def accumulate(events: list[Any]) -> ParsedResponse[object] | None:
    """What the SDK's `responses.stream(...)` helper makes of the events."""
    state: ResponseStreamState[object] = ResponseStreamState(input_tools=omit, text_format=omit)
    for event in events:
        state.handle_event(event)
    return state._completed_response


def test_text_stream() -> None:
    data = write_every_batching(STREAMS["text"])
    events = sdk_events(frame_at_every_offset(data))
    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0].response.id == "resp_01S" and events[0].response.status == "in_progress"
    assert [e.delta for e in events[4:7]] == ["Hel", "lo", " there"]
    assert {e.item_id for e in events[3:10] if hasattr(e, "item_id")} == {"msg_01S_0"}
    final = accumulate(events)
    assert final is not None and final.output_text == "Hello there" and final.status == "completed"
    assert final.usage is not None and final.usage.input_tokens_details.cached_tokens == 30
    assert (final.created_at, final.model) == (CREATED, "claude-sonnet-4-5")


def test_thinking_text_and_tools_stream() -> None:
    events = sdk_events(frame_at_every_offset(write_every_batching(STREAMS["thinking, text and tools"])))
    kinds = [event.type for event in events]
    assert kinds[2:9] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    assert kinds.count("response.function_call_arguments.delta") == 2
    assert kinds.count("response.function_call_arguments.done") == 2
    final = accumulate(events)
    assert final is not None
    reasoning, message, first, second = final.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "EqQBCgIYAhIM=="
    assert [part.text for part in reasoning.summary] == ["The user wants weather."]
    assert message.type == "message" and final.output_text == "Checking both."
    assert first.type == "function_call" and (first.call_id, first.name) == ("toolu_1", "weather")
    assert json.loads(first.arguments) == {"city": "Paris"}
    assert second.type == "function_call" and second.arguments == "{}"
    assert [getattr(item, "id", None) for item in final.output] == [
        "rs_01S_0",
        "msg_01S_1",
        "fc_01S_2",
        "fc_01S_3",
    ]
    usage = final.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (50, 20, 70)
    assert (usage.input_tokens_details.cached_tokens, usage.output_tokens_details.reasoning_tokens) == (30, 5)


def test_streamed_answer_ends_as_the_unstreamed_one() -> None:
    """response.completed carries the object write_response writes for the same parts."""
    events = frame(write_all(STREAMS["thinking, text and tools"], [99]))
    parts: list[ir.Part] = [
        ir.Thinking(text="The user wants weather.", signature="EqQBCgIYAhIM=="),
        ir.Text(text="Checking both."),
        ir.ToolCall(id="toolu_1", name="weather", arguments={"city": "Paris"}),
        ir.ToolCall(id="toolu_2", name="weather"),
    ]
    usage = ir.Usage(input_tokens=50, output_tokens=20, cache_read_tokens=30, reasoning_tokens=5)
    answer = ir.Response(id="msg_01S", model="x", parts=parts, stop="tool_calls", usage=usage)
    unstreamed = json.loads(CODEC.write_response(answer, CONTEXT))
    streamed = json.loads(events[-1].data)["response"]
    streamed["output"][2]["arguments"] = '{"city":"Paris"}'  # streamed as the provider spaced it
    assert streamed == unstreamed


def test_redacted_and_signature_only_thinking_stream() -> None:
    events = sdk_events(
        frame_at_every_offset(write_every_batching(STREAMS["redacted and signature-only thinking"]))
    )
    assert not any(event.type.startswith("response.reasoning_summary") for event in events)
    final = accumulate(events)
    assert final is not None
    redacted, signed, _ = final.output
    assert redacted.type == "reasoning" and redacted.summary == []
    assert redacted.encrypted_content == REDACTED_MARKER + "EmwKAhgBEgy3va3p"
    assert signed.type == "reasoning" and signed.encrypted_content == "sig-only"


def test_cut_off_stream_is_incomplete() -> None:
    events = sdk_events(frame(write_every_batching(STREAMS["cut off"])))
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert last.response.output[0].status == "incomplete" and last.response.output_text == "Once upon"
    assert accumulate(events) is None  # the SDK's final response is for completed answers only


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("failure", "server_error", "Overloaded"),
        ("broken off", "server_error", "The provider's stream ended before the answer was complete."),
        ("nothing at all", "server_error", "The provider's stream ended before the answer was complete."),
    ],
)
def test_failed_stream(name: str, code: str, message: str) -> None:
    events = sdk_events(frame(write_every_batching(STREAMS[name])))
    error, failed = events[-2:]
    assert (error.type, error.code, error.message) == ("error", code, message)
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.error.code == code and failed.response.error.message == message
    assert events[0].type == "response.created"


def test_rate_limit_failure_code() -> None:
    failure = ir.Failure(error=ir.Error(status=429, kind="rate_limit", message="slow down"))
    events = sdk_events(frame(write_all([start(), failure], [2])))
    assert (
        events[-2].code == "rate_limit_exceeded" and events[-1].response.error.code == "rate_limit_exceeded"
    )


def test_interleaved_parts_and_parts_given_whole() -> None:
    """Parts may overlap (a chat provider streams calls side by side) or start complete."""
    events: list[ir.Event] = [
        start(),
        ir.PartStart(index=0, part=ir.Thinking(text="whole thought", signature="sig")),
        ir.PartStop(index=0),
        ir.PartStart(index=1, part=ir.ToolCall(id="a", name="f")),
        ir.PartStart(index=2, part=ir.ToolCall(id="b", name="g", arguments={"x": 1})),
        ir.PartDelta(index=1, arguments='{"y":'),
        ir.PartStart(index=3, part=ir.Text(text="said ")),
        ir.PartDelta(index=3, text="at once"),
        ir.PartDelta(index=1, arguments="2}"),
        ir.PartStop(index=2),
        ir.PartDelta(index=9, text="a part never started is ignored"),
        ir.PartStop(index=9),
        ir.Finish(stop="tool_calls"),  # closes what is still open, in index order
    ]
    parsed = sdk_events(frame_at_every_offset(write_every_batching(events)))
    final = accumulate(parsed)
    assert final is not None
    reasoning, first, second, message = final.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "sig"
    assert [part.text for part in reasoning.summary] == ["whole thought"]
    assert first.type == "function_call" and (first.call_id, first.arguments) == ("a", '{"y":2}')
    assert second.type == "function_call" and (second.call_id, second.arguments) == ("b", '{"x":1}')
    assert message.type == "message" and final.output_text == "said at once"
    assert [event.output_index for event in parsed if event.type == "response.output_item.done"] == [
        0,
        2,
        1,
        3,
    ]
