"""A Responses API provider's stream read into IR events.

Each output_text or refusal content part is a Text part; each function_call item a ToolCall
(opened when the item is added, since the name comes with it); each reasoning item a
Thinking part, opened with its first summary text — or, for reasoning that shows none, when
the item is done, which is also when its encrypted_content (the signature) arrives. Summary
parts after the first are joined with a blank line, as `openai_responses_output` reads them.
A call signature's reasoning item (CALL_SIGNATURE_MARKER) comes after its call has ended, so
a stream drops it; only a gateway writes those, and OpenAI's own calls are unsigned.
response.completed / response.incomplete end it with Finish; response.failed and `error`
events with Failure. Event types a translation never asks for are read past.
"""

import msgspec
from msgspec import Struct, field

from ingate_translate import ir
from ingate_translate.base import SseEvent
from ingate_translate.schemas import responses as rs
from ingate_translate.shapes.openai_responses_output import (
    CALL_SIGNATURE_MARKER,
    encrypted_content,
    reasoning_of,
    stop_reason,
    stream_error_kind,
    usage_in,
)

_decode_event = msgspec.json.Decoder(rs.StreamEvent).decode


class _Open(Struct, array_like=True):
    index: int  # the IR part's
    kind: str  # "text", "tool" or "reasoning"
    started: bool = True
    streamed: bool = False  # deltas arrived (otherwise the done event carries the content)
    summaries: int = 0  # reasoning: summary parts seen


class _State(Struct, kw_only=True):
    started: bool = False
    finished: bool = False
    next_index: int = 0
    open: dict[str, _Open] = field(default_factory=dict)  # by output index (and content index)
    has_calls: bool = False
    refused: bool = False


_encode_state = msgspec.msgpack.Encoder().encode
_decode_state = msgspec.msgpack.Decoder(_State).decode


def _key(event: rs.StreamEvent) -> str:
    key = f"{event.output_index}"
    return f"{key}.{event.content_index}" if isinstance(event.content_index, int) else key


class _Reader:
    def __init__(self, state: _State) -> None:
        self.state = state
        self.out: list[ir.Event] = []

    def open(self, key: str, kind: str, part: ir.Part | None) -> _Open:
        """A slot for an output item or content part; its IR part starts now, or (None) later."""
        slot = _Open(index=-1, kind=kind, started=False)
        self.state.open[key] = slot
        if part is not None:
            self.begin(slot, part)
        return slot

    def begin(self, slot: _Open, part: ir.Part) -> None:
        slot.index, slot.started = self.state.next_index, True
        self.state.next_index += 1
        self.out.append(ir.PartStart(index=slot.index, part=part))

    def close(self, key: str) -> None:
        slot = self.state.open.pop(key, None)
        if slot is not None and slot.started:
            self.out.append(ir.PartStop(index=slot.index))

    def text(self, event: rs.StreamEvent, text: str) -> None:
        slot = self.state.open.get(_key(event)) or self.open(_key(event), "text", ir.Text(text=""))
        if text:
            slot.streamed = True
            self.out.append(ir.PartDelta(index=slot.index, text=text))

    def item_added(self, event: rs.StreamEvent, item: rs.Item) -> None:
        key = _key(event)
        if item.type == "function_call" and isinstance(item.call_id, str) and isinstance(item.name, str):
            self.state.has_calls = True
            slot = self.open(key, "tool", ir.ToolCall(id=item.call_id, name=item.name))
            if item.arguments:
                slot.streamed = True
                self.out.append(ir.PartDelta(index=slot.index, arguments=str(item.arguments)))
        elif item.type == "reasoning":
            self.open(key, "reasoning", None)

    def summary_delta(self, event: rs.StreamEvent, delta: str) -> None:
        slot = self.state.open.get(_key(event))
        if slot is None or slot.kind != "reasoning" or not delta:
            return
        if not slot.started:
            self.begin(slot, ir.Thinking())
        number = event.summary_index if isinstance(event.summary_index, int) else 0
        if number + 1 > slot.summaries:
            if slot.summaries:
                delta = "\n\n" + delta
            slot.summaries = number + 1
        slot.streamed = True
        self.out.append(ir.PartDelta(index=slot.index, thinking=delta))

    def item_done(self, event: rs.StreamEvent, item: rs.Item) -> None:
        key = _key(event)
        slot = self.state.open.get(key)
        if item.type == "message":
            for content_key in [k for k in self.state.open if k.startswith(f"{key}.")]:
                self.close(content_key)
        elif slot is not None and slot.kind == "tool":
            if not slot.streamed and item.arguments:
                self.out.append(ir.PartDelta(index=slot.index, arguments=str(item.arguments)))
            self.close(key)
        elif slot is not None and slot.kind == "reasoning":
            self.reasoning_done(slot, item)
            self.close(key)

    def reasoning_done(self, slot: _Open, item: rs.Item) -> None:
        encrypted = encrypted_content(item)
        if slot.started:
            if encrypted:
                self.out.append(ir.PartDelta(index=slot.index, signature=encrypted))
            return
        if encrypted.startswith(CALL_SIGNATURE_MARKER):
            return  # the call it signs has ended: a stream cannot give it back (see the module)
        part = reasoning_of(item)
        if isinstance(part, ir.RedactedThinking):
            self.begin(slot, part)
            return
        self.begin(slot, ir.Thinking())
        if part.text or part.signature:
            self.out.append(ir.PartDelta(index=slot.index, thinking=part.text, signature=part.signature))

    def end(self, response: rs.Response) -> None:
        for key in list(self.state.open):
            self.close(key)
        details = response.incomplete_details
        reason = details.reason if isinstance(details, rs.IncompleteDetails) else None
        status = response.status if isinstance(response.status, str) else None
        stop = stop_reason(status, reason, self.state.has_calls)
        if self.state.refused and stop == "end":
            stop = "content_filter"
        self.out.append(ir.Finish(stop=stop, usage=usage_in(response.usage)))
        self.state.finished = True

    def fail(self, code: str | None, message: str) -> None:
        kind = stream_error_kind(code)
        status = 429 if kind == "rate_limit" else 400 if kind == "invalid_request" else 502
        self.out.append(ir.Failure(error=ir.Error(status=status, kind=kind, message=message, code=code)))
        self.state.finished = True

    def event(self, event: rs.StreamEvent) -> None:
        kind = event.type
        if not self.state.started and kind != "error":
            self.state.started = True
            response = event.response if isinstance(event.response, rs.Response) else rs.Response()
            self.out.append(ir.Start(id=response.id, model=response.model))
        if kind == "response.output_item.added" and isinstance(event.item, rs.Item):
            self.item_added(event, event.item)
        elif kind == "response.content_part.added" and isinstance(event.part, rs.ContentPart):
            if event.part.type in ("output_text", "refusal"):
                self.state.refused = self.state.refused or event.part.type == "refusal"
                self.text(event, event.part.text if isinstance(event.part.text, str) else "")
        elif kind in ("response.output_text.delta", "response.refusal.delta") and isinstance(
            event.delta, str
        ):
            self.state.refused = self.state.refused or kind == "response.refusal.delta"
            self.text(event, event.delta)
        elif kind == "response.content_part.done":
            self.close(_key(event))
        elif kind == "response.reasoning_summary_text.delta" and isinstance(event.delta, str):
            self.summary_delta(event, event.delta)
        elif kind == "response.function_call_arguments.delta" and isinstance(event.delta, str):
            slot = self.state.open.get(_key(event))
            if slot is not None and slot.kind == "tool" and event.delta:
                slot.streamed = True
                self.out.append(ir.PartDelta(index=slot.index, arguments=event.delta))
        elif kind == "response.output_item.done" and isinstance(event.item, rs.Item):
            self.item_done(event, event.item)
        elif kind in ("response.completed", "response.incomplete") and isinstance(
            event.response, rs.Response
        ):
            self.end(event.response)
        elif kind == "response.failed":
            error = event.response.error if isinstance(event.response, rs.Response) else None
            if isinstance(error, rs.ResponseError):
                self.fail(error.code, error.message or "The response failed.")
            else:
                self.fail(None, "The response failed.")
        elif kind == "error":
            code = event.code if isinstance(event.code, str) else None
            self.fail(code, event.message if isinstance(event.message, str) else "The stream failed.")


def read_stream(state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
    del final  # a stream that ends unfinished is the writer's to report
    current = _decode_state(state) if state else _State()
    reader = _Reader(current)
    for item in events:
        if current.finished:
            break
        if item.data.strip() == "[DONE]":
            continue
        try:
            event = _decode_event(item.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            reader.fail(None, f"The provider sent a stream event that is not in the Responses format: {exc}")
            break
        reader.event(event)
    return _encode_state(current), reader.out
