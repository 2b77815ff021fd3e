"""Anthropic stream events → OpenAI chat.completion.chunk events (OpenAI client, Anthropic backend).

- `message_start` → exactly one chunk with `delta: {role: "assistant", content: ""}`;
  a repeated message_start never repeats it.
- text deltas → `delta.content`; thinking, signature and citation deltas are not shown.
- each `tool_use` block start → `delta.tool_calls[{index: k, id, type, function: {name,
  arguments: ""}}]`, with k counting tool_use blocks from 0 (text or thinking blocks
  before a tool never shift k); `input_json_delta` → `{index: k, function: {arguments}}`.
  A tool_use block that streams no fragment at all gets `arguments: "{}"` when it stops,
  so the arguments the client assembles always parse as JSON.
- `message_delta` → a chunk with the mapped `finish_reason` and an empty delta.
- `message_stop` → the usage chunk (`choices: []`) when the client asked for
  `stream_options.include_usage`, then `[DONE]`.
- `error` → `{"error": {message, type, param, code}}` then `[DONE]`; nothing after it.
- the backend stream ending without `message_delta` means it was cut: the client gets
  an error chunk rather than a made-up finish. Ending after `message_delta` but without
  `message_stop` finishes normally.

Every chunk carries the same `id` (from the message id), `created` and `model`.
"""

import msgspec
from msgspec import Struct

from ingate_translate.base import SseEvent
from ingate_translate.convert import (
    chat_completion_id,
    compact_json,
    finish_reason,
    openai_error_body,
    openai_error_type,
    openai_usage,
    status_for_anthropic_error,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa

_encode = msgspec.json.Encoder().encode


class StreamState(Struct, kw_only=True):
    model: str
    created: int
    include_usage: bool
    id: str = ""
    started: bool = False
    finished: bool = False  # the finish_reason chunk went out
    done: bool = False  # [DONE] went out
    tool_blocks: dict[int, int] = msgspec.field(default_factory=dict)  # block index → tool_calls index
    no_arguments: list[int] = msgspec.field(default_factory=list)  # tool blocks with no fragment yet
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_creation: int = 0


_StreamEvent = msgspec.json.Decoder(an.StreamEvent)


def start_stream(model: str, created: int, include_usage: bool) -> StreamState:
    """The state before the first event: `model` until message_start names the responding one."""
    return StreamState(model=model, created=created, include_usage=include_usage)


def _chunk(state: StreamState, delta: oa.Delta | None = None, finish: str | None = None) -> SseEvent:
    choice = oa.ChunkChoice(delta=delta or oa.Delta(), finish_reason=finish)
    chunk = oa.ChatCompletionChunk(id=state.id, created=state.created, model=state.model, choices=[choice])
    return SseEvent("", _encode(chunk).decode())


def _tool_delta(index: int, arguments: str, call_id: str | None = None, name: str | None = None) -> oa.Delta:
    """A tool call's first delta (with id, type and name), or one of its argument fragments."""
    call = oa.ToolCallDelta(index=index, function=oa.FunctionDelta(name=name, arguments=arguments))
    if call_id is not None:
        call.id, call.type = call_id, "function"
    return oa.Delta(tool_calls=[call])


def _start(state: StreamState, message: an.MessageResponse[an.AnyBlock] | None, out: list[SseEvent]) -> None:
    if message is not None:
        state.id = chat_completion_id(message.id)
        state.model = message.model or state.model
        _take_usage(state, message.usage)
    state.started = True
    out.append(_chunk(state, oa.Delta(role="assistant", content="")))


def _take_usage(state: StreamState, usage: an.Usage | an.DeltaUsage) -> None:
    state.output_tokens = usage.output_tokens
    if isinstance(usage.input_tokens, int):
        state.input_tokens = usage.input_tokens
    if isinstance(usage.cache_read_input_tokens, int):
        state.cache_read = usage.cache_read_input_tokens
    if isinstance(usage.cache_creation_input_tokens, int):
        state.cache_creation = usage.cache_creation_input_tokens


def _end(state: StreamState, out: list[SseEvent], error: an.ErrorDetail | None = None) -> None:
    if error is not None:
        kind = openai_error_type(status_for_anthropic_error(error.type))
        out.append(SseEvent("", openai_error_body(error.message, kind, code=error.type).decode()))
    elif state.include_usage:
        usage = openai_usage(state.input_tokens, state.output_tokens, state.cache_read, state.cache_creation)
        chunk = oa.ChatCompletionChunk(
            id=state.id, created=state.created, model=state.model, choices=[], usage=usage
        )
        out.append(SseEvent("", _encode(chunk).decode()))
    out.append(SseEvent("", "[DONE]"))
    state.done = True


def _settle_arguments(state: StreamState, blocks: list[int], out: list[SseEvent]) -> None:
    """A tool_use block that streamed no fragment (a tool without parameters) still owes its
    client `"{}"`: OpenAI clients parse `arguments`, and an empty string is not JSON."""
    for block in blocks:
        if block in state.no_arguments:
            state.no_arguments.remove(block)
            out.append(_chunk(state, _tool_delta(state.tool_blocks[block], "{}")))


def _on_event(state: StreamState, event: an.StreamEvent, out: list[SseEvent]) -> None:
    if isinstance(event, an.ErrorBody):
        _end(state, out, event.error)
        return
    if isinstance(event, an.Ping):
        return
    if isinstance(event, an.ContentBlockStop):
        _settle_arguments(state, [event.index], out)
        return
    if isinstance(event, an.MessageStart):
        if not state.started:  # a repeated message_start never repeats the role chunk
            _start(state, event.message, out)
        return
    if not state.started:
        _start(state, None, out)
    if isinstance(event, an.ContentBlockStart):
        block = event.content_block
        if block.type == "tool_use":
            index = state.tool_blocks[event.index] = len(state.tool_blocks)
            arguments = compact_json(block.input) if block.input else ""
            if not arguments:
                state.no_arguments.append(event.index)
            out.append(_chunk(state, _tool_delta(index, arguments, call_id=block.id, name=block.name)))
        elif block.type == "text" and block.text:
            out.append(_chunk(state, oa.Delta(content=block.text)))
    elif isinstance(event, an.ContentBlockDelta):
        delta = event.delta
        if delta.type == "text_delta" and delta.text:
            out.append(_chunk(state, oa.Delta(content=delta.text)))
        elif delta.type == "input_json_delta" and delta.partial_json and event.index in state.tool_blocks:
            if event.index in state.no_arguments:
                state.no_arguments.remove(event.index)
            out.append(_chunk(state, _tool_delta(state.tool_blocks[event.index], delta.partial_json)))
    elif isinstance(event, an.MessageDelta):
        _take_usage(state, event.usage)
        _settle_arguments(state, list(state.no_arguments), out)
        if not state.finished:
            state.finished = True
            out.append(_chunk(state, finish=finish_reason(event.delta.stop_reason)))
    elif isinstance(event, an.MessageStop):
        _settle_arguments(state, list(state.no_arguments), out)
        if not state.finished:
            state.finished = True
            out.append(_chunk(state, finish="stop"))
        _end(state, out)


def translate_stream_events(state: StreamState, events: list[SseEvent]) -> list[SseEvent]:
    """Anthropic stream events → OpenAI chunks. Events that are not JSON or of unknown type are skipped."""
    out: list[SseEvent] = []
    for event in events:
        if state.done:
            break
        try:
            parsed = _StreamEvent.decode(event.data)
        except msgspec.MsgspecError:
            continue
        _on_event(state, parsed, out)
    return out


def finish_stream(state: StreamState) -> list[SseEvent]:
    """The backend stream has ended: close the client stream if the backend did not."""
    out: list[SseEvent] = []
    if state.done:
        return out
    if state.finished:
        _end(state, out)
    else:
        message = "The backend stream ended before the message was complete."
        _end(state, out, an.ErrorDetail(type="api_error", message=message))
    return out
