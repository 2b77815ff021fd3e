"""IR stream events written as a Responses API stream, for a caller that speaks Responses.

Named SSE events (`event:` is the data's `type`), numbered by `sequence_number`:
response.created and response.in_progress at Start; per part, one output item (as
`openai_responses_output` maps parts) with its events — a message's content_part and
output_text deltas, a reasoning item's summary part and summary_text deltas (opened with
the first text, so signature-only reasoning has none), a function_call's argument deltas —
ending in output_item.done with the whole item; then response.completed (or
response.incomplete) carrying the whole response with its usage. An error in the stream,
or a stream that ends without a Finish, is an `error` event followed by response.failed,
which the SDK reports as the stream's end without a final response.

State: the items so far, kept so that the final event carries the whole response as the
SDK expects, and the sequence number.
"""

import msgspec
from msgspec import Struct, field
from msgspec.structs import replace

from ingate_translate import ir
from ingate_translate.base import SseEvent, encode_sse
from ingate_translate.convert import compact_json
from ingate_translate.schemas import responses as rs
from ingate_translate.shapes.openai_responses_output import (
    call_signature_item,
    item_id,
    mark_incomplete,
    output_item,
    output_text,
    response_object,
    summary_text,
)

_BROKEN = "The provider's stream ended before the answer was complete."
_ERROR_CODES = {"rate_limit": "rate_limit_exceeded", "invalid_request": "invalid_prompt"}


class _Slot(Struct, array_like=True):
    part: ir.Part  # as started, with the deltas so far added to it
    output_index: int
    item_id: str
    arguments: str = ""  # a ToolCall's JSON text
    summary_open: bool = False


class _State(Struct, kw_only=True):
    sequence: int = 0
    started: bool = False
    finished: bool = False
    backend_id: str = ""
    usage: ir.Usage | None = None
    open: dict[int, _Slot] = field(default_factory=dict)  # by IR part index
    done: dict[int, rs.Item] = field(default_factory=dict)  # by output index
    next_output: int = 0


_encode_state = msgspec.msgpack.Encoder().encode
_decode_state = msgspec.msgpack.Decoder(_State).decode
_encode = msgspec.json.Encoder().encode


class _Writer:
    def __init__(self, state: _State, context: ir.Context) -> None:
        self.state = state
        self.context = context
        self.out: list[SseEvent] = []

    def emit(self, event: rs.StreamEvent) -> None:
        event.sequence_number = self.state.sequence
        self.state.sequence += 1
        self.out.append(SseEvent(event.type, _encode(event).decode()))

    def response(self, stop: ir.StopReason | None, usage: ir.Usage | None) -> rs.Response:
        output = [self.state.done[index] for index in sorted(self.state.done)]
        if stop is not None:
            mark_incomplete(output, stop)
        return response_object(self.state.backend_id, self.context, output, stop, usage)

    def start(self, backend_id: str, usage: ir.Usage | None) -> None:
        self.state.started, self.state.backend_id, self.state.usage = True, backend_id, usage
        self.emit(rs.StreamEvent(type="response.created", response=self.response(None, None)))
        self.emit(rs.StreamEvent(type="response.in_progress", response=self.response(None, None)))

    def part_start(self, index: int, part: ir.Part) -> None:
        output_index = self.state.next_output
        self.state.next_output += 1
        # The slot's copy takes the deltas; what the part started with is sent as its first delta.
        opened: ir.Part = replace(part)
        if isinstance(part, ir.Text):
            opened = replace(part, text="")
        elif isinstance(part, ir.Thinking):
            opened = replace(part, text="", signature="")
        slot = _Slot(
            part=opened, output_index=output_index, item_id=item_id(self.state.backend_id, part, output_index)
        )
        self.state.open[index] = slot
        head = rs.StreamEvent(type="response.output_item.added", output_index=output_index)
        if isinstance(part, ir.Text):
            head.item = rs.Item(
                type="message", id=slot.item_id, role="assistant", status="in_progress", content=[]
            )
            self.emit(head)
            self.emit(self._at(slot, "response.content_part.added", content_index=0, part=output_text("")))
            self.delta(ir.PartDelta(index=index, text=part.text))
        elif isinstance(part, ir.ToolCall):
            arguments = compact_json(part.arguments) if part.arguments else ""
            head.item = rs.Item(
                type="function_call",
                id=slot.item_id,
                call_id=part.id,
                name=part.name,
                arguments="",
                status="in_progress",
            )
            self.emit(head)
            self.delta(ir.PartDelta(index=index, arguments=arguments))
        else:
            head.item = rs.Item(type="reasoning", id=slot.item_id, summary=[])
            self.emit(head)
            if isinstance(part, ir.Thinking):
                self.delta(ir.PartDelta(index=index, thinking=part.text, signature=part.signature))

    def _at(self, slot: _Slot, kind: str, **fields: object) -> rs.StreamEvent:
        event = rs.StreamEvent(type=kind, item_id=slot.item_id, output_index=slot.output_index)
        for name, value in fields.items():
            setattr(event, name, value)
        return event

    def delta(self, delta: ir.PartDelta) -> None:
        slot = self.state.open.get(delta.index)
        if slot is None:
            return
        part = slot.part
        if isinstance(part, ir.Text) and delta.text:
            part.text += delta.text
            self.emit(
                self._at(slot, "response.output_text.delta", content_index=0, delta=delta.text, logprobs=[])
            )
        elif isinstance(part, ir.ToolCall):
            part.signature += delta.signature
            if delta.arguments:
                slot.arguments += delta.arguments
                self.emit(self._at(slot, "response.function_call_arguments.delta", delta=delta.arguments))
        elif isinstance(part, ir.Thinking):
            part.signature += delta.signature
            if delta.thinking:
                if not slot.summary_open:
                    slot.summary_open = True
                    self.emit(
                        self._at(
                            slot,
                            "response.reasoning_summary_part.added",
                            summary_index=0,
                            part=summary_text(""),
                        )
                    )
                part.text += delta.thinking
                kind = "response.reasoning_summary_text.delta"
                self.emit(self._at(slot, kind, summary_index=0, delta=delta.thinking))

    def part_stop(self, index: int) -> None:
        slot = self.state.open.pop(index, None)
        if slot is None:
            return
        part = slot.part
        if isinstance(part, ir.Text):
            self.emit(
                self._at(slot, "response.output_text.done", content_index=0, text=part.text, logprobs=[])
            )
            self.emit(
                self._at(slot, "response.content_part.done", content_index=0, part=output_text(part.text))
            )
        elif isinstance(part, ir.ToolCall):
            slot.arguments = slot.arguments or "{}"
            self.emit(self._at(slot, "response.function_call_arguments.done", arguments=slot.arguments))
        elif isinstance(part, ir.Thinking) and slot.summary_open:
            self.emit(self._at(slot, "response.reasoning_summary_text.done", summary_index=0, text=part.text))
            done = summary_text(part.text)
            self.emit(self._at(slot, "response.reasoning_summary_part.done", summary_index=0, part=done))
        self.item_done(slot.output_index, output_item(part, slot.item_id, arguments=slot.arguments))
        if isinstance(part, ir.ToolCall) and part.signature:
            output_index = self.state.next_output
            self.state.next_output += 1
            signed = call_signature_item(part, item_id(self.state.backend_id, None, output_index))
            added = rs.Item(type="reasoning", id=signed.id, summary=[])
            self.emit(
                rs.StreamEvent(type="response.output_item.added", output_index=output_index, item=added)
            )
            self.item_done(output_index, signed)

    def item_done(self, output_index: int, item: rs.Item) -> None:
        self.state.done[output_index] = item
        self.emit(rs.StreamEvent(type="response.output_item.done", output_index=output_index, item=item))

    def finish(self, finish: ir.Finish) -> None:
        for index in sorted(self.state.open):
            self.part_stop(index)
        usage = _merged(self.state.usage, finish.usage)
        kind = "response.incomplete" if finish.stop in ("length", "content_filter") else "response.completed"
        self.emit(rs.StreamEvent(type=kind, response=self.response(finish.stop, usage)))
        self.state.finished = True

    def fail(self, error: ir.Error) -> None:
        code = _ERROR_CODES.get(error.kind, "server_error")
        self.emit(rs.StreamEvent(type="error", code=code, message=error.message, param=error.param))
        failed = self.response("end", self.state.usage)
        failed.status = "failed"
        failed.error = rs.ResponseError(code=code, message=error.message)
        self.emit(rs.StreamEvent(type="response.failed", response=failed))
        self.state.finished = True


def _merged(start: ir.Usage | None, end: ir.Usage | None) -> ir.Usage:
    """What the stream reported at its start (input counts), completed by what its end did."""
    if start is None or end is None:
        return end or start or ir.Usage()
    values = {name: getattr(end, name) or getattr(start, name) for name in ir.Usage.__struct_fields__}
    return ir.Usage(**values)


def write_stream(
    state: bytes, context: ir.Context, events: list[ir.Event], final: bool
) -> tuple[bytes, bytes]:
    current = _decode_state(state) if state else _State()
    if current.finished:
        return state, b""
    writer = _Writer(current, context)
    for event in events:
        if writer.state.finished:
            break
        if not current.started:
            if isinstance(event, ir.Start):
                writer.start(event.id, event.usage)
                continue
            writer.start("", None)
        if isinstance(event, ir.PartStart):
            writer.part_start(event.index, event.part)
        elif isinstance(event, ir.PartDelta):
            writer.delta(event)
        elif isinstance(event, ir.PartStop):
            writer.part_stop(event.index)
        elif isinstance(event, ir.Finish):
            writer.finish(event)
        elif isinstance(event, ir.Failure):
            writer.fail(event.error)
    if final and not writer.state.finished:
        if not current.started:
            writer.start("", None)
        writer.fail(ir.Error(status=502, kind="server", message=_BROKEN))
    return _encode_state(current), encode_sse(writer.out)
