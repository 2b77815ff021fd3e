"""OpenAI chat.completion.chunk events → Anthropic stream events (Anthropic client, OpenAI backend).

The client sees the real sequence: `message_start` once (at the first chunk), then
per block `content_block_start`, its deltas and `content_block_stop` (ordering is
`blocks`' job), then `message_delta` with the stop reason and the usage of the final
chunk, and `message_stop`, exactly once. `message_start` reports zero tokens, since
OpenAI reports usage only at the end; `message_delta.usage` carries input and output.

`[DONE]` ends the message. A backend stream that ends without `[DONE]` ends it too
if a finish_reason arrived; otherwise it was cut, and the client gets an `error`
event rather than a made-up stop. An `{"error": ...}` payload becomes an `error`
event, after which nothing is sent.
"""

import msgspec
from msgspec import Struct

from ingate_translate.base import SseEvent
from ingate_translate.blocks import Blocks, add_text, add_tool_delta, close_all, event
from ingate_translate.convert import (
    anthropic_error_body,
    anthropic_error_type_for_openai,
    anthropic_usage,
    compact_json,
    message_id,
    stop_reason,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa


class StreamState(Struct, kw_only=True):
    model: str
    id: str = ""
    started: bool = False
    done: bool = False  # message_stop or an error event went out
    finish_reason: str | None = None
    refused: bool = False
    usage: oa.Usage | None = None
    blocks: Blocks = msgspec.field(default_factory=Blocks)


_Chunk = msgspec.json.Decoder(oa.ChatCompletionChunk)


def start_stream(model: str) -> StreamState:
    """The state before the first chunk: `model` until a chunk names the responding one."""
    return StreamState(model=model)


def _fail(state: StreamState, kind: str, message: str, out: list[SseEvent]) -> None:
    out.append(SseEvent("error", anthropic_error_body(kind, message).decode()))
    state.done = True


def _fail_from(state: StreamState, error: object, out: list[SseEvent]) -> None:
    fields = error if isinstance(error, dict) else {"message": error}
    kind, code, message = fields.get("type"), fields.get("code"), fields.get("message")
    kind = anthropic_error_type_for_openai(kind if isinstance(kind, str) else None, code)
    _fail(state, kind, message if isinstance(message, str) and message else compact_json(error), out)


def _start(state: StreamState, chunk: oa.ChatCompletionChunk, out: list[SseEvent]) -> None:
    state.started = True
    state.id = message_id(chunk.id)
    state.model = chunk.model or state.model
    message = an.MessageResponse[an.OutBlock](
        id=state.id, model=state.model, usage=an.Usage(input_tokens=0, output_tokens=0)
    )
    out.append(event(an.MessageStart[an.OutBlock](message)))


def _on_chunk(state: StreamState, chunk: oa.ChatCompletionChunk, out: list[SseEvent]) -> None:
    if not state.started:
        _start(state, chunk, out)
    if isinstance(chunk.usage, oa.Usage):
        state.usage = chunk.usage
    for choice in chunk.choices:
        if choice.index != 0:  # only one choice is ever requested
            continue
        delta = choice.delta
        add_text(state.blocks, delta.content or "", state.id, out)
        if delta.refusal:
            state.refused = True
            add_text(state.blocks, delta.refusal, state.id, out)
        for call in delta.tool_calls or []:
            function = call.function if isinstance(call.function, oa.FunctionDelta) else oa.FunctionDelta()
            call_id = call.id if isinstance(call.id, str) else None
            arguments = function.arguments or ""
            add_tool_delta(state.blocks, call.index, call_id, function.name, arguments, state.id, out)
        if choice.finish_reason:
            state.finish_reason = choice.finish_reason


def _complete(state: StreamState, out: list[SseEvent]) -> None:
    if not state.started:
        _fail(state, "api_error", "The backend stream ended without a response.", out)
        return
    close_all(state.blocks, state.id, out)
    reason = stop_reason(state.finish_reason, has_tool_calls=bool(state.blocks.tools))
    if state.refused and reason == "end_turn":
        reason = "refusal"
    usage = an.DeltaUsage()
    if state.usage is not None:
        counts = anthropic_usage(state.usage)
        usage = an.DeltaUsage(
            output_tokens=counts.output_tokens,
            input_tokens=counts.input_tokens,
            cache_creation_input_tokens=counts.cache_creation_input_tokens,
            cache_read_input_tokens=counts.cache_read_input_tokens,
        )
    out.append(event(an.MessageDelta(an.MessageDeltaBody(stop_reason=reason), usage)))
    out.append(event(an.MessageStop()))
    state.done = True


def translate_stream_events(state: StreamState, events: list[SseEvent]) -> list[SseEvent]:
    """OpenAI chunks → Anthropic events. Data that is not a JSON chunk is skipped."""
    out: list[SseEvent] = []
    for item in events:
        if state.done:
            break
        if item.data.strip() == "[DONE]":
            _complete(state, out)
            continue
        try:
            chunk = _Chunk.decode(item.data)
        except msgspec.MsgspecError:
            continue
        if chunk.error is not None and not isinstance(chunk.error, msgspec.UnsetType):
            _fail_from(state, chunk.error, out)
        else:
            _on_chunk(state, chunk, out)
    return out


def finish_stream(state: StreamState) -> list[SseEvent]:
    """The backend stream has ended: finish the message if its finish_reason arrived, else report it cut."""
    out: list[SseEvent] = []
    if state.done:
        return out
    if state.finish_reason is not None:
        _complete(state, out)
    else:
        _fail(state, "api_error", "The backend stream ended before the message was complete.", out)
    return out
