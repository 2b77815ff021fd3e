"""The thinking contract through a Responses caller: signed thinking, Anthropic's redacted
thinking and Gemini's signed function calls reach the caller as output items and, sent back
as its next input (as the openai SDK dumps them), restore the exact parts, streamed or not."""

import json
from typing import Any

import pytest
from openai.types.responses import Response

from ingate_translate import ir
from ingate_translate.shapes.openai_responses import CALL_SIGNATURE_MARKER, REDACTED_MARKER
from tests.translate.support import CREATED, dumps
from tests.translate.test_responses_stream_read import read_all
from tests.translate.test_responses_stream_write import (
    CODEC,
    CONTEXT,
    accumulate,
    frame,
    sdk_events,
    write_every_batching,
)

SIGNED: list[ir.Part] = [
    ir.Thinking(text="Which city?", signature="Eq\u00e9QBCgIYAhIM+/=="),
    ir.RedactedThinking(data="EmwKAhgBEgy3va3p+/=="),
    ir.Thinking(signature="CiQB4/+signature-only=="),
    ir.Text(text="Checking."),
    ir.ToolCall(id="call:1", name="weather", arguments={"city": "Paris"}, signature="CiQBVKhc7+/=="),
    ir.ToolCall(id="call_2", name="weather", arguments={"city": "Rome"}),
]


def as_input(output: list[Any]) -> list[ir.Part]:
    """The caller's next request carrying `output` back, as the IR reads it."""
    body = dumps({"model": "m", "input": [{"role": "user", "content": "hi"}, *output]})
    request = CODEC.read_request(body, ir.Hints())
    assert request.messages[0] == ir.Message(role="user", parts=[ir.Text(text="hi")])
    assert len(request.messages) == 2 and request.messages[1].role == "assistant"
    return request.messages[1].parts


def test_output_items_for_signed_parts() -> None:
    body = json.loads(CODEC.write_response(ir.Response(id="msg_1", model="m", parts=SIGNED), CONTEXT))
    kinds = [(item["type"], item.get("encrypted_content", "")) for item in body["output"]]
    assert kinds == [
        ("reasoning", "Eq\u00e9QBCgIYAhIM+/=="),
        ("reasoning", REDACTED_MARKER + "EmwKAhgBEgy3va3p+/=="),
        ("reasoning", "CiQB4/+signature-only=="),
        ("message", ""),
        ("function_call", ""),
        ("reasoning", CALL_SIGNATURE_MARKER + "call:1:CiQBVKhc7+/=="),
        ("function_call", ""),
    ]
    assert body["output"][5]["summary"] == [] and body["output"][5]["id"] == "rs_1_5"


def test_unstreamed_round_trip_through_the_sdk() -> None:
    body = CODEC.write_response(ir.Response(id="msg_1", model="m", parts=SIGNED), CONTEXT)
    parsed = Response.model_validate(json.loads(body))
    assert as_input([item.model_dump(exclude_none=True) for item in parsed.output]) == SIGNED


def stream_of(parts: list[ir.Part]) -> list[ir.Event]:
    """`parts` as a provider stream: thinking and call signatures arrive as deltas."""
    events: list[ir.Event] = [ir.Start(id="msg_1", model="m")]
    for index, part in enumerate(parts):
        if isinstance(part, ir.Thinking):
            events += [
                ir.PartStart(index=index, part=ir.Thinking()),
                ir.PartDelta(index=index, thinking=part.text),
                ir.PartDelta(index=index, signature=part.signature),
            ]
        elif isinstance(part, ir.ToolCall):
            start = ir.ToolCall(id=part.id, name=part.name)
            events += [
                ir.PartStart(index=index, part=start),
                ir.PartDelta(index=index, arguments=json.dumps(part.arguments)),
                ir.PartDelta(index=index, signature=part.signature),
            ]
        elif isinstance(part, ir.Text):
            events += [
                ir.PartStart(index=index, part=ir.Text(text="")),
                ir.PartDelta(index=index, text=part.text),
            ]
        else:
            events.append(ir.PartStart(index=index, part=part))
        events.append(ir.PartStop(index=index))
    return [*events, ir.Finish(stop="tool_calls")]


def test_streamed_round_trip_through_the_sdk() -> None:
    events = stream_of(SIGNED)
    final = accumulate(sdk_events(frame(write_every_batching(events))))
    assert final is not None
    assert as_input([item.model_dump(exclude_none=True) for item in final.output]) == SIGNED


def test_a_signature_given_with_the_call_start() -> None:
    call = ir.ToolCall(id="c1", name="f", arguments={"a": 1}, signature="sig")
    events: list[ir.Event] = [
        ir.Start(id="msg_1", model="m"),
        ir.PartStart(index=0, part=call),
        ir.PartStop(index=0),
        ir.Finish(stop="tool_calls"),
    ]
    final = accumulate(sdk_events(frame(write_every_batching(events))))
    assert final is not None
    assert as_input([item.model_dump(exclude_none=True) for item in final.output]) == [call]
    assert call.signature == "sig"  # the caller's event is not changed


def test_unstreamed_read_from_a_provider_restores_call_signatures() -> None:
    answer = ir.Response(id="resp_1", model="m", parts=SIGNED, stop="tool_calls", created=CREATED)
    context = ir.Context(model="m", created=CREATED)
    assert CODEC.read_response(CODEC.write_response(answer, context)) == answer


def test_a_stream_from_a_provider_drops_call_signatures() -> None:
    """The call has ended before its signature's item arrives; the IR cannot reopen it."""
    out = read_all(frame(write_every_batching(stream_of(SIGNED[3:5]))), [999])
    call = ir.ToolCall(id="call:1", name="weather")
    assert out[1:] == [
        ir.PartStart(index=0, part=ir.Text(text="")),
        ir.PartDelta(index=0, text="Checking."),
        ir.PartStop(index=0),
        ir.PartStart(index=1, part=call),
        ir.PartDelta(index=1, arguments='{"city": "Paris"}'),
        ir.PartStop(index=1),
        ir.Finish(stop="tool_calls", usage=ir.Usage()),
    ]


@pytest.mark.parametrize(
    "encrypted",
    [CALL_SIGNATURE_MARKER + "unknown:sig", CALL_SIGNATURE_MARKER + "nothing"],
)
def test_a_call_signature_for_no_call_is_dropped(encrypted: str) -> None:
    item = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": encrypted}
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    body = dumps({"model": "m", "input": [{"role": "user", "content": "hi"}, call, item]})
    request = CODEC.read_request(body, ir.Hints())
    assert request.messages[1].parts == [ir.ToolCall(id="c1", name="f")]
