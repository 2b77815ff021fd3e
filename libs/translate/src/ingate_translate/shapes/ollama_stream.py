"""IR stream events written as Ollama's NDJSON stream: one JSON object per line.

Text and thinking deltas become a line each as they arrive. Ollama sends a tool call whole
(its arguments an object, never a fragment), so a call's argument text is kept in the
state until its part stops and then sent as one line. The last line is `done: true` with
`done_reason` and the counts; an error in the stream, or a stream that broke off before
its Finish, ends with an `{"error": …}` line, which the ollama clients raise as ResponseError.
"""

from typing import Final

import msgspec
from msgspec import Struct, field

from ingate_translate import ir
from ingate_translate.convert import compact_json, parse_arguments
from ingate_translate.schemas import ollama as ol
from ingate_translate.shapes.ollama_answer import Kind, encode_line, error_line, error_message, finished, line

BROKE_OFF: Final = "The provider's stream ended before the answer was complete."


class _Call(Struct, array_like=True):
    name: str
    arguments: str  # JSON text as it arrived


class _State(Struct, array_like=True):
    done: bool = False
    input_tokens: int = 0  # reported at the start (Anthropic), in case the finish leaves it out
    calls: dict[int, _Call] = field(default_factory=dict)  # open tool call parts by index


_encode_state: Final = msgspec.msgpack.Encoder().encode
_decode_state: Final = msgspec.msgpack.Decoder(_State).decode


def write_stream(
    kind: Kind, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
) -> tuple[bytes, bytes]:
    current = _decode_state(state) if state else _State()
    out: list[bytes] = []
    for event in events:
        if current.done:
            break
        _write(kind, current, context, event, out)
    if final and not current.done:
        out.append(error_line(BROKE_OFF))
        current.done = True
    return _encode_state(current), b"".join(out)


def _write(kind: Kind, state: _State, context: ir.Context, event: ir.Event, out: list[bytes]) -> None:
    if isinstance(event, ir.PartDelta):
        if event.text or event.thinking:
            out.append(encode_line(line(kind, context, event.text, event.thinking)))
        elif event.arguments and event.index in state.calls:
            state.calls[event.index].arguments += event.arguments
    elif isinstance(event, ir.PartStart):
        _start_part(kind, state, context, event, out)
    elif isinstance(event, ir.PartStop):
        call = state.calls.pop(event.index, None)
        if call is not None:
            _send_call(kind, state, context, call, out)
    elif isinstance(event, ir.Start):
        if event.usage is not None:
            state.input_tokens = event.usage.input_tokens
    elif isinstance(event, ir.Finish):
        for index in sorted(state.calls):  # a call still open at the end is complete too
            _send_call(kind, state, context, state.calls.pop(index), out)
        if state.done:
            return
        usage = event.usage or ir.Usage()
        usage = msgspec.structs.replace(usage, input_tokens=usage.input_tokens or state.input_tokens)
        out.append(encode_line(finished(line(kind, context), event.stop, usage)))
        state.done = True
    elif isinstance(event, ir.Failure):
        out.append(error_line(error_message(event.error)))
        state.done = True


def _start_part(
    kind: Kind, state: _State, context: ir.Context, event: ir.PartStart, out: list[bytes]
) -> None:
    part = event.part
    if isinstance(part, ir.ToolCall):
        state.calls[event.index] = _Call(part.name, compact_json(part.arguments) if part.arguments else "")
    elif isinstance(part, ir.Text) and part.text:
        out.append(encode_line(line(kind, context, part.text)))
    elif isinstance(part, ir.Thinking) and part.text:
        out.append(encode_line(line(kind, context, thinking=part.text)))


def _send_call(kind: Kind, state: _State, context: ir.Context, call: _Call, out: list[bytes]) -> None:
    if kind == "generate":
        return  # generate sends no tools, so none are called
    arguments = parse_arguments(call.arguments)
    if arguments is None:
        out.append(error_line(f"The provider's arguments for tool {call.name!r} are not a JSON object."))
        state.done = True
        return
    calls = [ol.OutToolCall(ol.OutFunction(name=call.name, arguments=arguments))]
    out.append(encode_line(line(kind, context, calls=calls)))
