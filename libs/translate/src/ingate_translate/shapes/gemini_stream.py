"""Gemini streams (`streamGenerateContent?alt=sse`): unnamed SSE events, each a whole
GenerateContentResponse whose candidate holds the parts produced since the last one.

Reading, Gemini's chunks become IR events by the rules of `gemini_parts`, so a stream
reads as the same parts as the answer would have: text chunks extend one Text part and
thought chunks one Thinking part until another kind of part comes; a function call
arrives whole, and is a ToolCall start, one arguments delta and its stop; a thought
signature closes the Thinking it is on, and on any other part is a Thinking of its own
just before it. The finishReason and the last usageMetadata make the Finish, sent when
the stream ends; a stream that ends without a finishReason broke off, and gets none.

Writing, each piece of a part is one chunk (signatures sealed, see `gemini_parts`); a
function call is sent when its arguments are complete (Gemini never splits one), and a
signature with no thinking text of its own rides on the next part, as Gemini sends it.
A broken stream ends with an error chunk, which the SDK raises.
"""

import msgspec
from msgspec import Struct, field

from ingate_translate import ir
from ingate_translate.base import SseEvent, encode_sse
from ingate_translate.convert import compact_json, parse_arguments
from ingate_translate.schemas import gemini as gm
from ingate_translate.shapes.gemini_maps import (
    error_body,
    error_from_detail,
    finish_reason,
    stop_reason,
    usage_from_gemini,
    usage_to_gemini,
)
from ingate_translate.shapes.gemini_parts import is_synthesized, seal, synthesized_id

_encode = msgspec.msgpack.Encoder().encode
_encode_json = msgspec.json.Encoder().encode


class _Chunk(gm.GenerateContentResponse):
    error: gm.ErrorDetail | None = None  # an error reported inside the stream


_decode_chunk = msgspec.json.Decoder(_Chunk).decode

# -- reading -------------------------------------------------------------------


class _ReadState(Struct, kw_only=True):
    started: bool = False
    done: bool = False
    open: str = ""  # "text" or "thinking": the part that later chunks extend
    index: int = 0  # the next part's index
    calls: int = 0
    finish: str | None = None
    usage: ir.Usage | None = None


_decode_read_state = msgspec.msgpack.Decoder(_ReadState).decode


class _Reader:
    def __init__(self, state: _ReadState) -> None:
        self.state = state
        self.out: list[ir.Event] = []

    def close(self) -> None:
        if self.state.open:
            self.out.append(ir.PartStop(index=self.state.index - 1))
            self.state.open = ""

    def start(self, part: ir.Part, kind: str = "") -> int:
        self.close()
        index = self.state.index
        self.out.append(ir.PartStart(index=index, part=part))
        self.state.index += 1
        self.state.open = kind
        return index

    def whole(self, part: ir.Part, delta: ir.PartDelta | None = None) -> None:
        index = self.start(part)
        if delta is not None:
            delta.index = index
            self.out.append(delta)
        self.out.append(ir.PartStop(index=index))

    def part(self, part: gm.Part) -> None:
        state = self.state
        signature = part.thought_signature or ""
        if part.thought:
            if state.open != "thinking":
                self.start(ir.Thinking(), "thinking")
            if part.text:
                self.out.append(ir.PartDelta(index=state.index - 1, thinking=part.text))
            if signature:
                self.out.append(ir.PartDelta(index=state.index - 1, signature=signature))
                self.close()
            return
        if signature:
            self.whole(ir.Thinking(), ir.PartDelta(index=0, signature=signature))
        if part.function_call is not None:
            call = part.function_call
            call_id = call.id or synthesized_id(call.name, state.calls)
            state.calls += 1
            arguments = compact_json(call.args if call.args is not None else {})
            self.whole(ir.ToolCall(id=call_id, name=call.name), ir.PartDelta(index=0, arguments=arguments))
        elif part.inline_data is not None:
            self.whole(ir.Image(media_type=part.inline_data.mime_type, data=part.inline_data.data))
        elif part.file_data is not None:
            self.whole(ir.Image(media_type=part.file_data.mime_type or "", url=part.file_data.file_uri))
        elif part.text:
            if state.open != "text":
                self.start(ir.Text(text=""), "text")
            self.out.append(ir.PartDelta(index=state.index - 1, text=part.text))

    def chunk(self, data: str) -> None:
        state = self.state
        try:
            chunk = _decode_chunk(data)
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            message = "Gemini sent a stream event that is not a GenerateContentResponse."
            self.fail(ir.Error(status=502, kind="server", message=message))
            return
        if not state.started:
            state.started = True
            known = None
            if chunk.usage_metadata is not None:  # Gemini counts the prompt from the first chunk on
                counted = usage_from_gemini(chunk.usage_metadata)
                known = ir.Usage(
                    input_tokens=counted.input_tokens, cache_read_tokens=counted.cache_read_tokens
                )
            self.out.append(
                ir.Start(id=chunk.response_id or "", model=chunk.model_version or "", usage=known)
            )
        if chunk.error is not None:
            self.fail(error_from_detail(chunk.error.code or 500, chunk.error))
            return
        if chunk.usage_metadata is not None:
            state.usage = usage_from_gemini(chunk.usage_metadata)
        if not chunk.candidates:
            if chunk.prompt_feedback is not None and chunk.prompt_feedback.block_reason:
                state.finish = "SAFETY"
            return
        candidate = chunk.candidates[0]
        for part in candidate.content.parts or [] if candidate.content else []:
            self.part(part)
        if candidate.finish_reason:
            state.finish = candidate.finish_reason

    def fail(self, error: ir.Error) -> None:
        self.close()
        self.out.append(ir.Failure(error=error))
        self.state.done = True

    def end(self) -> None:
        state = self.state
        if state.finish is None:
            return  # broke off: the caller's codec reports it
        self.close()
        stop = stop_reason(state.finish, has_tool_calls=state.calls > 0)
        self.out.append(ir.Finish(stop=stop, usage=state.usage))
        state.done = True


def read_stream(state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
    reader = _Reader(_decode_read_state(state) if state else _ReadState())
    for event in events:
        if reader.state.done:
            break
        if event.data.strip():
            reader.chunk(event.data)
    if final and not reader.state.done:
        reader.end()
    return _encode(reader.state), reader.out


# -- writing -------------------------------------------------------------------


class _Call(Struct, array_like=True):
    id: str
    name: str
    arguments: str = ""
    signature: str = ""


class _WriteState(Struct, kw_only=True):
    id: str = ""
    done: bool = False
    kinds: dict[int, str] = field(default_factory=dict)  # part index → "text", "thinking", "call", ...
    shown: list[int] = field(default_factory=list)  # Thinking parts that sent text
    calls: dict[int, _Call] = field(default_factory=dict)
    signature: str = ""  # a signature waiting for the next part


_decode_write_state = msgspec.msgpack.Decoder(_WriteState).decode


class _Writer:
    def __init__(self, state: _WriteState, context: ir.Context) -> None:
        self.state = state
        self.context = context
        self.out: list[SseEvent] = []

    def chunk(
        self, parts: list[gm.Part] | None, finish: str | None = None, usage: ir.Usage | None = None
    ) -> None:
        content = gm.Content(role="model", parts=parts) if parts else None
        wire = gm.GenerateContentResponse(
            candidates=[gm.Candidate(content=content, finish_reason=finish, index=0)],
            usage_metadata=usage_to_gemini(usage) if usage is not None else None,
            model_version=self.context.model,
            response_id=self.state.id or None,
        )
        self.out.append(SseEvent("", _encode_json(wire).decode()))

    def part(self, part: gm.Part) -> None:
        """One part as a chunk, carrying the signature that waits for it (a thought part
        does not take one: it goes before it on an empty text part, as `write_parts` does)."""
        pending, self.state.signature = self.state.signature, ""
        if pending and part.thought:
            self.chunk([gm.Part(text="", thought_signature=pending)])
        elif pending:
            part.thought_signature = pending
        self.chunk([part])

    def error(self, error: ir.Error) -> None:
        self.out.append(SseEvent("", error_body(error).decode()))
        self.state.done = True

    def start(self, event: ir.PartStart) -> None:
        part = event.part
        kinds = self.state.kinds
        if isinstance(part, ir.Text):
            kinds[event.index] = "text"
            if part.text:
                self.part(gm.Part(text=part.text))
        elif isinstance(part, ir.Thinking):
            kinds[event.index] = "thinking"
            self.thinking(event.index, part.text, seal(part.signature) if part.signature else "")
        elif isinstance(part, ir.ToolCall):
            kinds[event.index] = "call"
            sealed = seal(part.signature) if part.signature else ""
            self.state.calls[event.index] = _Call(part.id, part.name, signature=sealed)
        elif isinstance(part, ir.Image):
            kinds[event.index] = "image"
            inline = gm.Blob(mime_type=part.media_type, data=part.data) if part.data else None
            file = None if part.data else gm.FileData(mime_type=part.media_type or None, file_uri=part.url)
            self.part(gm.Part(inline_data=inline, file_data=file))
        else:
            kinds[event.index] = "hidden"  # redacted thinking: nothing Gemini could return

    def thinking(self, index: int, text: str, signature: str) -> None:
        if text:
            if index not in self.state.shown:
                self.state.shown.append(index)
            self.part(gm.Part(text=text, thought=True))
        if signature and index in self.state.shown:
            self.part(gm.Part(text="", thought=True, thought_signature=signature))
        elif signature:
            if self.state.signature:
                self.part(gm.Part(text=""))
            self.state.signature = signature

    def delta(self, event: ir.PartDelta) -> None:
        kind = self.state.kinds.get(event.index, "")
        if kind == "text" and event.text:
            self.part(gm.Part(text=event.text))
        elif kind == "thinking":
            self.thinking(event.index, event.thinking, seal(event.signature) if event.signature else "")
        elif kind == "call":
            call = self.state.calls[event.index]
            call.arguments += event.arguments
            call.signature = seal(event.signature) if event.signature else call.signature

    def stop(self, event: ir.PartStop) -> None:
        call = self.state.calls.pop(event.index, None)
        if call is None:
            return
        arguments = parse_arguments(call.arguments)
        if arguments is None:
            message = f"The model's arguments for {call.name!r} are not a JSON object."
            self.error(ir.Error(status=502, kind="server", message=message))
            return
        call_id = None if is_synthesized(call.id, call.name) else call.id
        function = gm.FunctionCall(id=call_id, name=call.name, args=arguments)
        self.part(gm.Part(function_call=function, thought_signature=call.signature or None))

    def finish(self, event: ir.Finish) -> None:
        pending = [gm.Part(text="", thought_signature=self.state.signature)] if self.state.signature else None
        self.state.signature = ""
        self.chunk(pending, finish_reason(event.stop), event.usage or ir.Usage())
        self.state.done = True

    def event(self, event: ir.Event) -> None:
        if isinstance(event, ir.Start):
            self.state.id = event.id
        elif isinstance(event, ir.PartStart):
            self.start(event)
        elif isinstance(event, ir.PartDelta):
            self.delta(event)
        elif isinstance(event, ir.PartStop):
            self.stop(event)
        elif isinstance(event, ir.Finish):
            self.finish(event)
        else:
            self.error(event.error)


def write_stream(
    state: bytes, context: ir.Context, events: list[ir.Event], final: bool
) -> tuple[bytes, bytes]:
    writer = _Writer(_decode_write_state(state) if state else _WriteState(), context)
    for event in events:
        if writer.state.done:
            break
        writer.event(event)
    if final and not writer.state.done:
        message = "The provider's stream ended before the answer was complete."
        writer.error(ir.Error(status=502, kind="server", message=message))
    return _encode(writer.state), encode_sse(writer.out)
