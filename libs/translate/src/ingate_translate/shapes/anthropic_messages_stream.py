"""Anthropic Messages streams: provider events read into IR events, IR events written as the caller's.

Reading: `message_start` → Start (its usage: the input count), once; each text, thinking,
redacted_thinking and tool_use block → PartStart, its text / thinking / signature /
input_json deltas, PartStop (server tool blocks and citation deltas are not shown);
`message_delta` → Finish with the stop reason and the counts so far, `message_stop` →
Finish if no message_delta came; `error` → Failure; `ping` is ignored. Nothing is read
after a Finish or a Failure.

Writing: the real sequence, `message_start` once, each part as content_block_start,
deltas (signature_delta for a thinking signature), content_block_stop, then
`message_delta` with the stop reason and usage, `message_stop`. A Failure is an `error`
event, after which nothing is sent; a stream that ended without a Finish is reported as
an `error` event too, never as a made-up stop.
"""

import msgspec
from msgspec import Struct

from ingate_translate import ir
from ingate_translate.base import SseEvent, encode_sse
from ingate_translate.convert import ANTHROPIC_KINDS, compact_json
from ingate_translate.convert import status_for_anthropic_error as anthropic_status
from ingate_translate.schemas import anthropic as an
from ingate_translate.shapes import anthropic_messages as messages

_encode = msgspec.json.Encoder().encode
_msgpack = msgspec.msgpack.Encoder().encode
_decode_event = msgspec.json.Decoder(an.StreamEvent).decode

# -- reading ------------------------------------------------------------------------


class ReadState(Struct, array_like=True):
    started: bool = False
    done: bool = False  # a Finish or Failure went out
    open: list[int] = msgspec.field(default_factory=list)  # indices of shown blocks not yet stopped
    usage: ir.Usage = msgspec.field(default_factory=ir.Usage)


_decode_read = msgspec.msgpack.Decoder(ReadState).decode


def _read_start(block: an.AnyBlock) -> ir.Part | None:
    """The part a block starts, empty (what the start carries comes as a delta); None: not shown."""
    part = messages.read_block(block)
    if isinstance(part, ir.Text):
        return ir.Text(text="")
    if isinstance(part, ir.Thinking):
        return ir.Thinking()
    if isinstance(part, ir.ToolCall):
        return ir.ToolCall(id=part.id, name=part.name)
    return part  # redacted thinking carries its data at the start


def _read_delta(index: int, delta: an.AnyDelta) -> ir.PartDelta | None:
    if delta.type == "text_delta" and delta.text:
        return ir.PartDelta(index=index, text=delta.text)
    if delta.type == "input_json_delta" and delta.partial_json:
        return ir.PartDelta(index=index, arguments=delta.partial_json)
    if delta.type == "thinking_delta" and delta.thinking:
        return ir.PartDelta(index=index, thinking=delta.thinking)
    if delta.type == "signature_delta" and delta.signature:
        return ir.PartDelta(index=index, signature=delta.signature)
    return None


def _finish(state: ReadState, out: list[ir.Event], stop: ir.Finish) -> None:
    out.extend(ir.PartStop(index=index) for index in state.open)
    state.open.clear()
    stop.usage = state.usage
    out.append(stop)
    state.done = True


def _read_event(state: ReadState, event: an.StreamEvent, out: list[ir.Event]) -> None:
    if isinstance(event, an.Ping):
        return
    if isinstance(event, an.ErrorBody):
        kind = ANTHROPIC_KINDS.get(event.error.type, "server")
        error = ir.Error(
            status=anthropic_status(event.error.type),
            kind=kind,
            message=event.error.message,
            code=event.error.type,
        )
        out.append(ir.Failure(error=error))
        state.done = True
        return
    if isinstance(event, an.MessageStart):
        if not state.started:  # a repeated message_start starts nothing
            state.started = True
            messages.read_usage(event.message.usage, state.usage)
            start_usage = ir.Usage(**msgspec.structs.asdict(state.usage))
            out.append(ir.Start(id=event.message.id, model=event.message.model, usage=start_usage))
        return
    if not state.started:
        state.started = True
        out.append(ir.Start(id="", model=""))
    if isinstance(event, an.ContentBlockStart):
        started = _read_start(event.content_block)
        if started is None:
            return
        state.open.append(event.index)
        out.append(ir.PartStart(index=event.index, part=started))
        block = event.content_block
        if block.type == "text" and block.text:
            out.append(ir.PartDelta(index=event.index, text=block.text))
        elif block.type == "tool_use" and isinstance(block.input, dict) and block.input:
            out.append(ir.PartDelta(index=event.index, arguments=compact_json(block.input)))
    elif isinstance(event, an.ContentBlockDelta):
        delta = _read_delta(event.index, event.delta)
        if delta is not None and event.index in state.open:
            out.append(delta)
    elif isinstance(event, an.ContentBlockStop):
        if event.index in state.open:
            state.open.remove(event.index)
            out.append(ir.PartStop(index=event.index))
    elif isinstance(event, an.MessageDelta):
        messages.read_usage(event.usage, state.usage)
        body = event.delta
        stop = messages.STOP_REASONS.get(body.stop_reason or "", "end")
        _finish(state, out, ir.Finish(stop=stop, stop_sequence=body.stop_sequence))
    else:  # message_stop without a message_delta
        _finish(state, out, ir.Finish())


def read_stream(state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
    """Anthropic events → IR events. Data that is not JSON or of an unknown type is skipped."""
    del final  # a stream that stops without message_delta is the writer's to report
    current = _decode_read(state) if state else ReadState()
    out: list[ir.Event] = []
    for item in events:
        if current.done:
            break
        try:
            parsed = _decode_event(item.data)
        except msgspec.MsgspecError:
            continue
        _read_event(current, parsed, out)
    return _msgpack(current), out


# -- writing ------------------------------------------------------------------------


class WriteState(Struct, array_like=True):
    started: bool = False
    done: bool = False  # message_stop or an error event went out
    next_index: int = 0
    indices: dict[int, int] = msgspec.field(default_factory=dict)  # IR part index → block index


_decode_write = msgspec.msgpack.Decoder(WriteState).decode


def _event(value: Struct) -> SseEvent:
    """A tagged Anthropic stream event struct → the named SSE event carrying it."""
    return SseEvent(str(type(value).__struct_config__.tag), _encode(value).decode())


def _fail(state: WriteState, error: ir.Error, out: list[SseEvent]) -> None:
    error = ir.Error(status=error.status, kind=error.kind, message=error.message)
    out.append(SseEvent("error", messages.error_body(error).decode()))
    state.done = True


def _write_start(state: WriteState, context: ir.Context, start: ir.Start, out: list[SseEvent]) -> None:
    state.started = True
    usage = messages.write_usage(start.usage) if start.usage is not None else an.Usage()
    message = an.MessageResponse[an.OutBlock](
        id=messages.message_id(start.id), model=start.model or context.model, usage=usage
    )
    out.append(_event(an.MessageStart[an.OutBlock](message)))


def _write_delta(delta: ir.PartDelta) -> an.OutDelta | None:
    if delta.text:
        return an.TextDelta(delta.text)
    if delta.arguments:
        return an.InputJSONDelta(delta.arguments)
    if delta.thinking:
        return an.ThinkingDelta(delta.thinking)
    if delta.signature:
        return an.SignatureDelta(delta.signature)
    return None


def _write_finish(state: WriteState, finish: ir.Finish, out: list[SseEvent]) -> None:
    for index in list(state.indices.values()):
        out.append(_event(an.ContentBlockStop(index)))
    state.indices.clear()
    usage = an.DeltaUsage()
    if finish.usage is not None:
        counts = messages.write_usage(finish.usage)
        usage = an.DeltaUsage(
            output_tokens=counts.output_tokens,
            input_tokens=counts.input_tokens,
            cache_creation_input_tokens=counts.cache_creation_input_tokens,
            cache_read_input_tokens=counts.cache_read_input_tokens,
        )
    body = an.MessageDeltaBody(
        stop_reason=messages.ANTHROPIC_STOPS[finish.stop], stop_sequence=finish.stop_sequence
    )
    out.append(_event(an.MessageDelta(body, usage)))
    out.append(_event(an.MessageStop()))
    state.done = True


def _write_event(state: WriteState, context: ir.Context, event: ir.Event, out: list[SseEvent]) -> None:
    if isinstance(event, ir.Failure):
        _fail(state, event.error, out)
        return
    if isinstance(event, ir.Start):
        if not state.started:
            _write_start(state, context, event, out)
        return
    if not state.started:
        _write_start(state, context, ir.Start(id="", model=""), out)
    if isinstance(event, ir.PartStart):
        block = messages.write_block(event.part)
        if block is None:
            return
        index = state.indices[event.index] = state.next_index
        state.next_index += 1
        out.append(_event(an.ContentBlockStart[an.OutBlock](index, block)))
    elif isinstance(event, ir.PartDelta):
        delta = _write_delta(event)
        if delta is not None and event.index in state.indices:
            out.append(_event(an.ContentBlockDelta[an.OutDelta](state.indices[event.index], delta)))
    elif isinstance(event, ir.PartStop):
        if event.index in state.indices:
            out.append(_event(an.ContentBlockStop(state.indices.pop(event.index))))
    else:
        _write_finish(state, event, out)


def write_stream(
    state: bytes, context: ir.Context, events: list[ir.Event], final: bool
) -> tuple[bytes, bytes]:
    """IR events → Anthropic SSE bytes."""
    current = _decode_write(state) if state else WriteState()
    out: list[SseEvent] = []
    for event in events:
        if current.done:
            break
        _write_event(current, context, event, out)
    if final and not current.done:
        if current.started:
            message = "The backend stream ended before the message was complete."
        else:
            message = "The backend stream ended without a response."
        _fail(current, ir.Error(status=502, kind="server", message=message), out)
    return _msgpack(current), encode_sse(out)
