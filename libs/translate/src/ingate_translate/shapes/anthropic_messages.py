"""Anthropic Messages as a shape: requests, answers and errors read into the IR and written back.

As a client shape, what the IR cannot hold is refused with a TranslationError naming the
parameter; as a backend shape, what Anthropic cannot be sent is refused the same way:

| Anthropic request field                            | Handling (reading)                          |
|----------------------------------------------------|---------------------------------------------|
| `mcp_servers`, server tools (`type` set)           | rejected                                    |
| `document` / `search_result` blocks, images given  | rejected                                    |
| by file id, tool_use in a user turn, tool_result   |                                             |
| in an assistant turn                               |                                             |
| `thinking`                                         | ir.Reasoning (enabled with its budget, or   |
|                                                    | disabled)                                   |
| `cache_control` on system, text, image, tool       | ir CacheMark ("5m" or "1h")                 |
| result and tool                                    |                                             |
| `service_tier`, `citations`, `container`,          | ignored: no effect on the answer's content  |
| `tool_choice` without `tools`                      |                                             |

| IR request field (writing)                         | Handling                                    |
|----------------------------------------------------|---------------------------------------------|
| response_format json_object / json_schema          | rejected: no JSON mode                      |
| non-zero presence / frequency penalty              | rejected                                    |
| temperature > 1                                    | rejected: Anthropic's range is 0 to 1       |
| reasoning (effort or budget)                       | `thinking` with a budget; `max_tokens` is   |
|                                                    | raised above the budget when unset          |
| seed                                               | ignored                                     |
| thinking without a signature in history            | left out: Anthropic verifies signatures and |
|                                                    | drops earlier turns' thinking anyway        |

`max_tokens`, which Anthropic requires, is DEFAULT_MAX_TOKENS when the caller set none.
Consecutive turns of one role are merged (tool results first, as Anthropic requires) and
empty text is left out. Anthropic's `input_tokens` excludes cache reads and writes; the
IR's includes them. Requests: `anthropic_messages_request`; streams: `anthropic_messages_stream`.
"""

import msgspec

from ingate_translate import ir
from ingate_translate.base import BackendFormatError
from ingate_translate.codec import ModuleBackend, ModuleClient
from ingate_translate.convert import (
    ANTHROPIC_KINDS,
    ANTHROPIC_TYPES,
    error_details,
    error_kind,
    token_count,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.shapes import anthropic_messages_stream as stream
from ingate_translate.shapes.anthropic_messages_request import read_request, write_request

_encode = msgspec.json.Encoder().encode
_decode_message = msgspec.json.Decoder(an.MessageResponse[an.AnyBlock]).decode

STOP_REASONS: dict[str, ir.StopReason] = {
    "end_turn": "end",
    "stop_sequence": "stop_sequence",
    "pause_turn": "pause",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
ANTHROPIC_STOPS: dict[ir.StopReason, str] = {
    "end": "end_turn",
    "stop_sequence": "stop_sequence",
    "pause": "pause_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}

# -- answers -------------------------------------------------------------------------


def read_usage(usage: an.Usage | an.DeltaUsage, into: ir.Usage) -> None:
    """Fold Anthropic's counts into the IR's, whose input includes the cache."""
    read, written = token_count(usage.cache_read_input_tokens), token_count(usage.cache_creation_input_tokens)
    if isinstance(usage.input_tokens, int):
        into.input_tokens = usage.input_tokens + read + written
        into.cache_read_tokens, into.cache_write_tokens = read, written
    into.output_tokens = usage.output_tokens


def write_usage(usage: ir.Usage) -> an.Usage:
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    return an.Usage(
        input_tokens=max(usage.input_tokens - cached, 0),
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_write_tokens,
        cache_read_input_tokens=usage.cache_read_tokens,
    )


def read_block(block: an.AnyBlock) -> ir.Part | None:
    """A response block as a part; None for blocks the caller cannot be shown (server tools)."""
    if block.type == "text":
        return ir.Text(text=block.text)
    if block.type == "tool_use":
        arguments = block.input if isinstance(block.input, dict) else {}
        return ir.ToolCall(id=block.id, name=block.name, arguments=arguments)
    if block.type == "thinking":
        return ir.Thinking(text=block.thinking, signature=block.signature)
    if block.type == "redacted_thinking":
        return ir.RedactedThinking(data=block.data)
    return None


def read_response(body: bytes) -> ir.Response:
    try:
        message = _decode_message(body)
    except msgspec.MsgspecError as exc:
        raise BackendFormatError(f"Unreadable Anthropic response: {exc}") from exc
    usage = ir.Usage()
    read_usage(message.usage, usage)
    return ir.Response(
        id=message.id,
        model=message.model,
        parts=[part for part in map(read_block, message.content) if part is not None],
        stop=STOP_REASONS.get(message.stop_reason or "", "end"),
        stop_sequence=message.stop_sequence,
        usage=usage,
    )


def message_id(response_id: str) -> str:
    """Anthropic's ids begin "msg_": `chatcmpl-Abc` → `msg_Abc`."""
    return response_id if response_id.startswith("msg_") else "msg_" + response_id.removeprefix("chatcmpl-")


def write_block(part: ir.Part) -> an.OutBlock | None:
    if isinstance(part, ir.Text):
        return an.TextBlock(part.text)
    if isinstance(part, ir.ToolCall):
        return an.ToolUseBlock(id=part.id, name=part.name, input=part.arguments)
    if isinstance(part, ir.Thinking):
        return an.ThinkingBlock(part.text, part.signature)
    if isinstance(part, ir.RedactedThinking):
        return an.RedactedThinkingBlock(part.data)
    return None  # images and tool results are never in an answer


def write_response(response: ir.Response, context: ir.Context) -> bytes:
    message = an.MessageResponse[an.OutBlock](
        id=message_id(response.id),
        content=[block for block in map(write_block, response.parts) if block is not None],
        model=response.model or context.model,
        stop_reason=ANTHROPIC_STOPS[response.stop],
        stop_sequence=response.stop_sequence,
        usage=write_usage(response.usage),
    )
    return _encode(message)


# -- errors ----------------------------------------------------------------------------


def read_error(status: int, body: bytes) -> ir.Error:
    kind, message = error_details(body)
    return ir.Error(
        status=status,
        kind=ANTHROPIC_KINDS.get(kind or "", error_kind(status)),
        message=message or f"The backend answered with HTTP status {status}.",
        code=kind,
    )


def error_body(error: ir.Error) -> bytes:
    """`{"type": "error", "error": {"type", "message"}}`; the parameter leads the message."""
    message = f"{error.param}: {error.message}" if error.param else error.message
    return _encode(an.ErrorBody(an.ErrorDetail(type=ANTHROPIC_TYPES[error.kind], message=message)))


def write_error(error: ir.Error) -> tuple[int, bytes]:
    return error.status, error_body(error)


# -- the codecs -------------------------------------------------------------------------


CLIENT = ModuleClient("anthropic-messages", read_request, write_response, write_error, stream.write_stream)
BACKEND = ModuleBackend("anthropic-messages", write_request, read_response, read_error, stream.read_stream)
