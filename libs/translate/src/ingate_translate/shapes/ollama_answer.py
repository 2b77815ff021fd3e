"""IR answers and errors written as Ollama's /api/chat and /api/generate bodies and lines.

- Text parts → `message.content` (chat) or `response` (generate), joined.
- Thinking parts → `thinking`, joined. Ollama has no field for a signature, so it is
  dropped and an Ollama caller cannot send it back: a provider that needs its signature to
  continue a thinking turn is sent that turn's thinking unsigned.
- RedactedThinking → dropped: opaque, and Ollama shows no reasoning it cannot read.
- ToolCall → `message.tool_calls` `{function {name, arguments}}` (Ollama's calls have no id).
- stop "length" → `done_reason` "length"; every other stop → "stop" (Ollama reports tool
  calls with "stop" too).
- usage input / output → `prompt_eval_count` / `eval_count`; durations 0 (another
  provider's, not measured by Ollama).
- Context.created → `created_at`, RFC 3339 in UTC.
- Error → `{"error": message}` with its status, the parameter (if any) named in the message.
"""

from datetime import UTC, datetime
from typing import Final, Literal

import msgspec
from msgspec import UNSET

from ingate_translate import ir
from ingate_translate.schemas import ollama as ol

Kind = Literal["chat", "generate"]

_encode: Final = msgspec.json.Encoder().encode


def created_at(created: int) -> str:
    """Unix seconds as Ollama's RFC 3339 `created_at`."""
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def done_reason(stop: ir.StopReason) -> str:
    return "length" if stop == "length" else "stop"


def line(
    kind: Kind,
    context: ir.Context,
    text: str = "",
    thinking: str = "",
    calls: list[ol.OutToolCall] | None = None,
) -> ol.ChatLine | ol.GenerateLine:
    """One answer or stream line, not final yet (see `finished`)."""
    when = created_at(context.created)
    said = thinking or UNSET
    if kind == "generate":
        return ol.GenerateLine(model=context.model, created_at=when, done=False, response=text, thinking=said)
    message = ol.OutMessage(content=text, thinking=said, tool_calls=calls or UNSET)
    return ol.ChatLine(model=context.model, created_at=when, done=False, message=message)


def finished(out: ol.Line, stop: ir.StopReason, usage: ir.Usage) -> ol.Line:
    """`out` as the final line: done, why, and the counts (durations 0: another provider's)."""
    out.done = True
    out.done_reason = done_reason(stop)
    out.total_duration = out.load_duration = out.prompt_eval_duration = out.eval_duration = 0
    out.prompt_eval_count = usage.input_tokens
    out.eval_count = usage.output_tokens
    return out


def tool_call(call: ir.ToolCall) -> ol.OutToolCall:
    return ol.OutToolCall(ol.OutFunction(name=call.name, arguments=call.arguments))


def write_response(kind: Kind, response: ir.Response, context: ir.Context) -> bytes:
    text: list[str] = []
    thinking: list[str] = []
    calls: list[ol.OutToolCall] = []
    for part in response.parts:
        if isinstance(part, ir.Text):
            text.append(part.text)
        elif isinstance(part, ir.Thinking):
            thinking.append(part.text)
        elif isinstance(part, ir.ToolCall):
            calls.append(tool_call(part))
    out = line(kind, context, "".join(text), "".join(thinking), calls)
    return _encode(finished(out, response.stop, response.usage))


def error_message(error: ir.Error) -> str:
    """The error's message, naming its parameter when it does not already."""
    if error.param and error.param not in error.message:
        return f"{error.message} (parameter: {error.param})"
    return error.message


def write_error(error: ir.Error) -> tuple[int, bytes]:
    return error.status, _encode(ol.ErrorBody(error_message(error)))


def error_line(message: str) -> bytes:
    """An error as a stream's last line: what the ollama clients raise ResponseError from."""
    return _encode(ol.ErrorBody(message)) + b"\n"


def encode_line(out: ol.Line) -> bytes:
    return _encode(out) + b"\n"
