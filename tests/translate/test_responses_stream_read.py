"""Responses API streams read from a Responses provider into IR events, under every batching
and from bytes split at every offset, and written-then-read round trips."""

import json

import pytest

from ingate_translate import SseEvent, ir
from ingate_translate.shapes.openai_responses import REDACTED_MARKER
from tests.translate.support import Json, batchings
from tests.translate.test_responses_stream_write import (
    CODEC,
    FINISH_USAGE,
    STREAMS,
    frame,
    frame_at_every_offset,
    write_all,
)


def provider(*items: Json) -> list[SseEvent]:
    return [
        SseEvent(item["type"], json.dumps({**item, "sequence_number": n})) for n, item in enumerate(items)
    ]


RESPONSE: Json = {
    "id": "resp_9",
    "object": "response",
    "created_at": 1,
    "status": "in_progress",
    "model": "gpt-5",
    "output": [],
}
USAGE: Json = {
    "input_tokens": 40,
    "input_tokens_details": {"cached_tokens": 10},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 16},
    "total_tokens": 70,
}
RS: Json = {"type": "reasoning", "id": "rs_9", "summary": []}
MSG: Json = {"type": "message", "id": "msg_9", "role": "assistant", "status": "in_progress", "content": []}
FC: Json = {
    "type": "function_call",
    "id": "fc_9",
    "call_id": "call_9",
    "name": "weather",
    "arguments": "",
    "status": "in_progress",
}
OPENAI_STREAM = provider(
    {"type": "response.created", "response": RESPONSE},
    {"type": "response.in_progress", "response": RESPONSE},
    {"type": "response.output_item.added", "output_index": 0, "item": RS},
    {
        "type": "response.reasoning_summary_part.added",
        "item_id": "rs_9",
        "output_index": 0,
        "summary_index": 0,
        "part": {"type": "summary_text", "text": ""},
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_9",
        "output_index": 0,
        "summary_index": 0,
        "delta": "**Plan**",
    },
    {
        "type": "response.reasoning_summary_text.done",
        "item_id": "rs_9",
        "output_index": 0,
        "summary_index": 0,
        "text": "**Plan**",
    },
    {
        "type": "response.reasoning_summary_part.added",
        "item_id": "rs_9",
        "output_index": 0,
        "summary_index": 1,
        "part": {"type": "summary_text", "text": ""},
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_9",
        "output_index": 0,
        "summary_index": 1,
        "delta": "Call it.",
    },
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {**RS, "encrypted_content": "gAAAA_enc", "summary": []},
    },
    {"type": "response.output_item.added", "output_index": 1, "item": MSG},
    {
        "type": "response.content_part.added",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "part": {"type": "output_text", "text": "", "annotations": []},
    },
    {
        "type": "response.output_text.delta",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "delta": "Let me ",
        "logprobs": [],
    },
    {
        "type": "response.output_text.annotation.added",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "annotation_index": 0,
        "annotation": {},
    },
    {
        "type": "response.output_text.delta",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "delta": "check.",
        "logprobs": [],
    },
    {
        "type": "response.output_text.done",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "text": "Let me check.",
        "logprobs": [],
    },
    {
        "type": "response.content_part.done",
        "item_id": "msg_9",
        "output_index": 1,
        "content_index": 0,
        "part": {"type": "output_text", "text": "Let me check.", "annotations": []},
    },
    {"type": "response.output_item.done", "output_index": 1, "item": {**MSG, "status": "completed"}},
    {"type": "response.output_item.added", "output_index": 2, "item": FC},
    {
        "type": "response.function_call_arguments.delta",
        "item_id": "fc_9",
        "output_index": 2,
        "delta": '{"city":',
    },
    {
        "type": "response.function_call_arguments.delta",
        "item_id": "fc_9",
        "output_index": 2,
        "delta": '"Paris"}',
    },
    {
        "type": "response.function_call_arguments.done",
        "item_id": "fc_9",
        "output_index": 2,
        "arguments": '{"city":"Paris"}',
    },
    {
        "type": "response.output_item.done",
        "output_index": 2,
        "item": {**FC, "arguments": '{"city":"Paris"}', "status": "completed"},
    },
    {"type": "response.completed", "response": {**RESPONSE, "status": "completed", "usage": USAGE}},
)
OPENAI_EXPECTED: list[ir.Event] = [
    ir.Start(id="resp_9", model="gpt-5"),
    ir.PartStart(index=0, part=ir.Thinking()),
    ir.PartDelta(index=0, thinking="**Plan**"),
    ir.PartDelta(index=0, thinking="\n\nCall it."),
    ir.PartDelta(index=0, signature="gAAAA_enc"),
    ir.PartStop(index=0),
    ir.PartStart(index=1, part=ir.Text(text="")),
    ir.PartDelta(index=1, text="Let me "),
    ir.PartDelta(index=1, text="check."),
    ir.PartStop(index=1),
    ir.PartStart(index=2, part=ir.ToolCall(id="call_9", name="weather")),
    ir.PartDelta(index=2, arguments='{"city":'),
    ir.PartDelta(index=2, arguments='"Paris"}'),
    ir.PartStop(index=2),
    ir.Finish(
        stop="tool_calls",
        usage=ir.Usage(input_tokens=40, output_tokens=30, cache_read_tokens=10, reasoning_tokens=16),
    ),
]


def read_all(events: list[SseEvent], sizes: list[int], final_apart: bool = False) -> list[ir.Event]:
    state, out = b"", []
    begin = 0
    for number, size in enumerate(sizes):
        last = number == len(sizes) - 1
        state, produced = CODEC.read_stream(state, events[begin : begin + size], last and not final_apart)
        out.extend(produced)
        begin += size
    if final_apart:
        state, produced = CODEC.read_stream(state, [], True)
        out.extend(produced)
    return out


def read_every_batching(events: list[SseEvent]) -> list[ir.Event]:
    reference = read_all(events, [len(events)])
    for sizes in batchings(len(events)):
        for final_apart in (False, True):
            assert read_all(events, sizes, final_apart) == reference, (sizes, final_apart)
    return reference


def test_read_openai_stream() -> None:
    assert read_every_batching(OPENAI_STREAM) == OPENAI_EXPECTED


def test_read_openai_stream_from_bytes_split_anywhere() -> None:
    data = b"".join(f"event: {item.event}\ndata: {item.data}\n\n".encode() for item in OPENAI_STREAM)
    assert read_all(frame_at_every_offset(data), [len(OPENAI_STREAM)]) == OPENAI_EXPECTED


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [
                {"type": "response.created", "response": RESPONSE},
                {"type": "response.output_item.added", "output_index": 0, "item": RS},
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {**RS, "encrypted_content": REDACTED_MARKER + "Rd=="},
                },
                {"type": "response.output_item.added", "output_index": 1, "item": MSG},
                {
                    "type": "response.content_part.added",
                    "item_id": "msg_9",
                    "output_index": 1,
                    "content_index": 0,
                    "part": {"type": "refusal", "refusal": ""},
                },
                {
                    "type": "response.refusal.delta",
                    "item_id": "msg_9",
                    "output_index": 1,
                    "content_index": 0,
                    "delta": "No.",
                },
                {"type": "response.output_item.done", "output_index": 1, "item": MSG},
                {
                    "type": "response.incomplete",
                    "response": {
                        **RESPONSE,
                        "status": "incomplete",
                        "incomplete_details": {"reason": "max_output_tokens"},
                    },
                },
            ],
            [
                ir.Start(id="resp_9", model="gpt-5"),
                ir.PartStart(index=0, part=ir.RedactedThinking(data="Rd==")),
                ir.PartStop(index=0),
                ir.PartStart(index=1, part=ir.Text(text="")),
                ir.PartDelta(index=1, text="No."),
                ir.PartStop(index=1),
                ir.Finish(stop="length", usage=ir.Usage()),
            ],
        ),
        (
            [
                {"type": "response.created", "response": RESPONSE},
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {**FC, "arguments": '{"a":1}'},
                },
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {**FC, "arguments": '{"a":1}'},
                },
                {
                    "type": "response.output_item.added",
                    "output_index": 1,
                    "item": FC | {"id": "fc_8", "call_id": "call_8"},
                },
                {
                    "type": "response.output_item.done",
                    "output_index": 1,
                    "item": FC | {"id": "fc_8", "call_id": "call_8", "arguments": "{}"},
                },
                {"type": "response.output_item.added", "output_index": 2, "item": RS},
                {
                    "type": "response.output_item.done",
                    "output_index": 2,
                    "item": {
                        **RS,
                        "summary": [{"type": "summary_text", "text": "late"}],
                        "encrypted_content": "e",
                    },
                },
                {"type": "response.completed", "response": {**RESPONSE, "status": "completed"}},
            ],
            [
                ir.Start(id="resp_9", model="gpt-5"),
                ir.PartStart(index=0, part=ir.ToolCall(id="call_9", name="weather")),
                ir.PartDelta(index=0, arguments='{"a":1}'),
                ir.PartStop(index=0),
                ir.PartStart(index=1, part=ir.ToolCall(id="call_8", name="weather")),
                ir.PartDelta(index=1, arguments="{}"),
                ir.PartStop(index=1),
                ir.PartStart(index=2, part=ir.Thinking()),
                ir.PartDelta(index=2, thinking="late", signature="e"),
                ir.PartStop(index=2),
                ir.Finish(stop="tool_calls", usage=ir.Usage()),
            ],
        ),
        (
            [
                {"type": "response.created", "response": RESPONSE},
                {
                    "type": "response.failed",
                    "response": {
                        **RESPONSE,
                        "status": "failed",
                        "error": {"code": "rate_limit_exceeded", "message": "slow"},
                    },
                },
                {"type": "response.created", "response": RESPONSE},
            ],
            [
                ir.Start(id="resp_9", model="gpt-5"),
                ir.Failure(
                    error=ir.Error(status=429, kind="rate_limit", message="slow", code="rate_limit_exceeded")
                ),
            ],
        ),
        (
            [{"type": "error", "code": "invalid_prompt", "message": "bad prompt"}],
            [
                ir.Failure(
                    error=ir.Error(
                        status=400, kind="invalid_request", message="bad prompt", code="invalid_prompt"
                    )
                )
            ],
        ),
        (
            [{"type": "response.created", "response": RESPONSE}],
            [ir.Start(id="resp_9", model="gpt-5")],
        ),
    ],
    ids=["redacted, refusal, cut off", "calls without deltas, late summary", "failed", "error", "cut"],
)
def test_read_stream_cases(items: list[Json], expected: list[ir.Event]) -> None:
    assert read_every_batching(provider(*items)) == expected


def test_read_stream_event_not_in_format() -> None:
    events = [
        SseEvent("response.created", json.dumps({"type": "response.created", "response": RESPONSE})),
        SseEvent("", "{oops"),
    ]
    out = read_every_batching(
        [*events, SseEvent("", json.dumps({"type": "response.completed", "response": RESPONSE}))]
    )
    assert out[0] == ir.Start(id="resp_9", model="gpt-5")
    assert isinstance(out[1], ir.Failure) and out[1].error.kind == "server" and len(out) == 2


# -- round trip: what the caller side writes, the provider side reads back ------------------


@pytest.mark.parametrize(
    "name", ["text", "thinking, text and tools", "redacted and signature-only thinking", "cut off"]
)
def test_write_then_read_recovers_the_events(name: str) -> None:
    events = STREAMS[name]
    read = read_all(frame(write_all(events, [len(events)])), [999])
    assert read[0] == ir.Start(id="resp_01S", model="claude-sonnet-4-5")
    expected: list[ir.Event] = []
    for event in events[1:-1]:
        # A call streamed with no arguments ends with "{}", which the reader passes on.
        opened = expected[-1] if expected else None
        if (
            isinstance(event, ir.PartStop)
            and isinstance(opened, ir.PartStart)
            and isinstance(opened.part, ir.ToolCall)
        ):
            expected.append(ir.PartDelta(index=event.index, arguments="{}"))
        expected.append(event)
    finish = events[-1]
    assert isinstance(finish, ir.Finish)
    assert read[1:] == [*expected, ir.Finish(stop=finish.stop, usage=FINISH_USAGE)]
