"""OpenAI chat.completion.chunk streams: provider chunks read into IR events, IR events written as chunks.

Reading: the first chunk → Start; `reasoning_content` (or `reasoning`) deltas, content,
refusal and tool_calls deltas → parts, sequenced by `blocks` (parts never interleave);
a `thinking_blocks` delta's signature closes the reasoning it follows. `[DONE]` → the
parts close and Finish carries the finish_reason and the usage chunk's counts. A stream
that ends without `[DONE]` finishes if a finish_reason arrived; otherwise nothing is
made up (the caller's side reports it cut). An `{"error": ...}` payload → Failure.

Writing (the caller speaks OpenAI chat):
- Start → exactly one chunk with `delta: {role: "assistant", content: ""}`.
- text → `delta.content`; thinking → `delta.reasoning_content`, and when its part stops,
  `delta.thinking_blocks` with the whole block (text and signature), so a caller that
  keeps the last thinking_blocks can send the message back as it came; redacted
  thinking → a `thinking_blocks` delta when it starts.
- each tool call → `delta.tool_calls[{index: k, id, type, function: {name, arguments:
  ""}}]`, k counting tool calls from 0; argument fragments → `{index: k, function:
  {arguments}}`. A call that streams no fragment gets `arguments: "{}"` when it stops,
  so the arguments the caller assembles always parse as JSON.
- Finish → a chunk with the finish_reason and an empty delta, then the usage chunk
  (`choices: []`) when the caller asked for `stream_options.include_usage`, then `[DONE]`.
- Failure → `{"error": {message, type, param, code}}` then `[DONE]`; nothing after it.
- the provider stream ending without a Finish → an error chunk rather than a made-up finish.

Every chunk carries the same `id`, `created` and `model`.
"""

import msgspec
from msgspec import Struct

from ingate_translate import ir
from ingate_translate.base import SseEvent, encode_sse
from ingate_translate.blocks import Blocks, add_text, add_tool_delta, close_all
from ingate_translate.convert import anthropic_error_type_for_openai, compact_json, openai_error_body
from ingate_translate.convert import openai_error_type as error_type
from ingate_translate.schemas import openai as oa
from ingate_translate.shapes import openai_chat as chat

_encode = msgspec.json.Encoder().encode
_msgpack = msgspec.msgpack.Encoder().encode
_decode_chunk = msgspec.json.Decoder(oa.ChatCompletionChunk).decode
_STREAM_ERROR_KINDS: dict[str, ir.ErrorKind] = {
    "rate_limit_error": "rate_limit",
    "invalid_request_error": "invalid_request",
    "api_error": "server",
}

# -- reading ------------------------------------------------------------------------


class ReadState(Struct, array_like=True):
    started: bool = False
    done: bool = False  # Finish or Failure went out, or [DONE] came
    id: str = ""
    finish_reason: str | None = None
    refused: bool = False
    usage: ir.Usage | None = None
    blocks: Blocks = msgspec.field(default_factory=Blocks)


_decode_read = msgspec.msgpack.Decoder(ReadState).decode


def _failure(state: ReadState, error: object, out: list[ir.Event]) -> None:
    fields = error if isinstance(error, dict) else {"message": error}
    kind, code, message = fields.get("type"), fields.get("code"), fields.get("message")
    name = anthropic_error_type_for_openai(kind if isinstance(kind, str) else None, code)
    text = message if isinstance(message, str) and message else compact_json(error)
    status = 429 if name == "rate_limit_error" else 400 if name == "invalid_request_error" else 500
    code_text = code if isinstance(code, str) else kind if isinstance(kind, str) else None
    error_value = ir.Error(status=status, kind=_STREAM_ERROR_KINDS[name], message=text, code=code_text)
    out.append(ir.Failure(error=error_value))
    state.done = True


def _signature(delta: oa.Delta) -> str:
    for block in delta.thinking_blocks or []:
        if isinstance(block, oa.ThinkingBlock) and block.signature:
            return block.signature
    return ""


def _read_chunk(state: ReadState, chunk: oa.ChatCompletionChunk, out: list[ir.Event]) -> None:
    if not state.started:
        state.started = True
        state.id = chunk.id
        out.append(ir.Start(id=chunk.id, model=chunk.model))
    if isinstance(chunk.usage, oa.Usage):
        state.usage = chat.read_usage(chunk.usage)
    blocks = state.blocks
    for choice in chunk.choices:
        if choice.index != 0:  # only one choice is ever requested
            continue
        delta = choice.delta
        reasoning = delta.reasoning_content or delta.reasoning or ""
        add_text(blocks, reasoning, state.id, out, thinking=True, signature=_signature(delta))
        add_text(blocks, delta.content or "", state.id, out)
        if delta.refusal:
            state.refused = True
            add_text(blocks, delta.refusal, state.id, out)
        for call in delta.tool_calls or []:
            function = call.function if isinstance(call.function, oa.FunctionDelta) else oa.FunctionDelta()
            call_id = call.id if isinstance(call.id, str) else None
            add_tool_delta(
                blocks, call.index, call_id, function.name, function.arguments or "", state.id, out
            )
        if choice.finish_reason:
            state.finish_reason = choice.finish_reason


def _complete(state: ReadState, out: list[ir.Event]) -> None:
    state.done = True
    if not state.started:
        return  # nothing came: the caller's side reports the stream empty
    close_all(state.blocks, state.id, out)
    stop = chat.stop_reason(
        state.finish_reason, has_tool_calls=bool(state.blocks.tools), refused=state.refused
    )
    out.append(ir.Finish(stop=stop, usage=state.usage))


def read_stream(state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
    """OpenAI chunks → IR events. Data that is not a JSON chunk is skipped."""
    current = _decode_read(state) if state else ReadState()
    out: list[ir.Event] = []
    for item in events:
        if current.done:
            break
        if item.data.strip() == "[DONE]":
            _complete(current, out)
            continue
        try:
            chunk = _decode_chunk(item.data)
        except msgspec.MsgspecError:
            continue
        if chunk.error is not None and not isinstance(chunk.error, msgspec.UnsetType):
            _failure(current, chunk.error, out)
        else:
            _read_chunk(current, chunk, out)
    if final and not current.done and current.finish_reason is not None:
        _complete(current, out)
    return _msgpack(current), out


# -- writing ------------------------------------------------------------------------


class PartSlot(Struct, array_like=True):
    kind: str  # "text", "thinking", "tool" or "redacted"
    tool: int = -1  # the tool_calls index
    no_arguments: bool = True
    thinking: str = ""  # the thinking text so far, for its thinking_blocks delta
    signature: str = ""


class WriteState(Struct, array_like=True):
    started: bool = False
    done: bool = False  # [DONE] went out
    id: str = ""
    model: str = ""
    tools: int = 0
    parts: dict[int, PartSlot] = msgspec.field(default_factory=dict)


_decode_write = msgspec.msgpack.Decoder(WriteState).decode


def _chunk(
    state: WriteState, context: ir.Context, delta: oa.Delta | None = None, finish: str | None = None
) -> SseEvent:
    choice = oa.ChunkChoice(delta=delta or oa.Delta(), finish_reason=finish)
    chunk = oa.ChatCompletionChunk(
        id=state.id, created=context.created, model=state.model or context.model, choices=[choice]
    )
    return SseEvent("", _encode(chunk).decode())


def _tool_delta(index: int, arguments: str, call_id: str | None = None, name: str | None = None) -> oa.Delta:
    """A tool call's first delta (with id, type and name), or one of its argument fragments."""
    call = oa.ToolCallDelta(index=index, function=oa.FunctionDelta(name=name, arguments=arguments))
    if call_id is not None:
        call.id, call.type = call_id, "function"
    return oa.Delta(tool_calls=[call])


def _end(state: WriteState, context: ir.Context, out: list[SseEvent], usage: ir.Usage | None) -> None:
    if context.include_usage:
        chunk = oa.ChatCompletionChunk(
            id=state.id,
            created=context.created,
            model=state.model or context.model,
            choices=[],
            usage=chat.write_usage(usage or ir.Usage()),
        )
        out.append(SseEvent("", _encode(chunk).decode()))
    out.append(SseEvent("", "[DONE]"))
    state.done = True


def _fail(state: WriteState, error: ir.Error, out: list[SseEvent]) -> None:
    body = openai_error_body(error.message, error_type(error.status), code=error.code)
    out.append(SseEvent("", body.decode()))
    out.append(SseEvent("", "[DONE]"))
    state.done = True


def _start_part(state: WriteState, context: ir.Context, event: ir.PartStart, out: list[SseEvent]) -> None:
    part = event.part
    if isinstance(part, ir.ToolCall):
        slot = state.parts[event.index] = PartSlot("tool", tool=state.tools)
        state.tools += 1
        out.append(_chunk(state, context, _tool_delta(slot.tool, "", call_id=part.id, name=part.name)))
    elif isinstance(part, ir.Text):
        state.parts[event.index] = PartSlot("text")
        if part.text:
            out.append(_chunk(state, context, oa.Delta(content=part.text)))
    elif isinstance(part, ir.Thinking):
        state.parts[event.index] = PartSlot("thinking", thinking=part.text, signature=part.signature)
        if part.text:
            out.append(_chunk(state, context, oa.Delta(reasoning_content=part.text)))
    elif isinstance(part, ir.RedactedThinking):
        blocks: oa.ThinkingBlocks = [oa.RedactedThinkingBlock(data=part.data)]
        out.append(_chunk(state, context, oa.Delta(thinking_blocks=blocks)))


def _delta(state: WriteState, context: ir.Context, event: ir.PartDelta, out: list[SseEvent]) -> None:
    slot = state.parts.get(event.index)
    if slot is None:
        return
    if slot.kind == "text" and event.text:
        out.append(_chunk(state, context, oa.Delta(content=event.text)))
    elif slot.kind == "tool" and event.arguments:
        slot.no_arguments = False
        out.append(_chunk(state, context, _tool_delta(slot.tool, event.arguments)))
    elif slot.kind == "thinking":
        slot.signature += event.signature
        if event.thinking:
            slot.thinking += event.thinking
            out.append(_chunk(state, context, oa.Delta(reasoning_content=event.thinking)))


def _stop_part(state: WriteState, context: ir.Context, index: int, out: list[SseEvent]) -> None:
    slot = state.parts.pop(index, None)
    if slot is None:
        return
    if slot.kind == "tool" and slot.no_arguments:
        out.append(_chunk(state, context, _tool_delta(slot.tool, "{}")))
    elif slot.kind == "thinking":
        blocks: oa.ThinkingBlocks = [oa.ThinkingBlock(thinking=slot.thinking, signature=slot.signature)]
        out.append(_chunk(state, context, oa.Delta(thinking_blocks=blocks)))


def _write_event(state: WriteState, context: ir.Context, event: ir.Event, out: list[SseEvent]) -> None:
    if isinstance(event, ir.Failure):
        _fail(state, event.error, out)
        return
    if not state.started:
        state.started = True
        start = event if isinstance(event, ir.Start) else ir.Start(id="", model="")
        state.id = chat.completion_id(start.id)
        state.model = start.model
        out.append(_chunk(state, context, oa.Delta(role="assistant", content="")))
    if isinstance(event, ir.PartStart):
        _start_part(state, context, event, out)
    elif isinstance(event, ir.PartDelta):
        _delta(state, context, event, out)
    elif isinstance(event, ir.PartStop):
        _stop_part(state, context, event.index, out)
    elif isinstance(event, ir.Finish):
        for index in list(state.parts):
            _stop_part(state, context, index, out)
        out.append(_chunk(state, context, finish=chat.FINISH_REASONS[event.stop]))
        _end(state, context, out, event.usage)


def write_stream(
    state: bytes, context: ir.Context, events: list[ir.Event], final: bool
) -> tuple[bytes, bytes]:
    """IR events → OpenAI SSE chunks."""
    current = _decode_write(state) if state else WriteState()
    out: list[SseEvent] = []
    for event in events:
        if current.done:
            break
        _write_event(current, context, event, out)
    if final and not current.done:
        message = "The backend stream ended before the message was complete."
        _fail(current, ir.Error(status=502, kind="server", message=message, code="api_error"), out)
    return _msgpack(current), encode_sse(out)
