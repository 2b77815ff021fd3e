"""Responses API answers: IR parts ⇄ output items, usage, ids, statuses and stream error codes.

Used by the codec's non-streamed side and by its stream writer, which builds the same
items event by event, so a streamed answer ends with the very object a non-streamed one is.

Each IR part is one output item, in order: Text → a message with one output_text part,
ToolCall → function_call, Thinking → reasoning (text as one summary_text part, signature as
`encrypted_content`), RedactedThinking → reasoning with no summary and `encrypted_content`
= REDACTED_MARKER + data (see `reasoning_of`); a ToolCall's signature adds a reasoning
item after the call (see CALL_SIGNATURE_MARKER). Ids are made from the backend's answer id:
`resp_<stem>`, and `msg_` / `fc_` / `rs_` + `<stem>_<output index>` for the items, where the
stem is the backend id less its `msg_` / `chatcmpl-` / `resp_` prefix.
"""

import msgspec

from ingate_translate import ir
from ingate_translate.base import BackendFormatError
from ingate_translate.convert import compact_json, parse_arguments
from ingate_translate.schemas import responses as rs

CALL_SIGNATURE_MARKER = "ingate.call_signature:"
"""Gemini signs the function calls that follow its thinking and needs the signature back with
the call; a Responses function_call has no place for it, so it travels as a reasoning item
after the call, with no summary and encrypted_content = this marker, the call id, ":" and
the signature (base64, so the last ":" separates them)."""
REDACTED_MARKER = "ingate.redacted_thinking:"
"""Anthropic's redacted_thinking has no Responses form: it travels as a reasoning item with no
summary whose encrypted_content is this marker and the block's data, so a Responses caller
returns it unchanged and the next turn restores the block byte for byte."""

_encode = msgspec.json.Encoder().encode
_decode_response = msgspec.json.Decoder(rs.Response).decode
_ID_PREFIXES = ("resp_", "msg_", "chatcmpl-")

# -- ids ---------------------------------------------------------------------


def stem(backend_id: str) -> str:
    """The backend's answer id without its type prefix: `msg_01Ab` → `01Ab`."""
    for prefix in _ID_PREFIXES:
        if backend_id.startswith(prefix):
            return backend_id.removeprefix(prefix)
    return backend_id


def response_id(backend_id: str) -> str:
    return f"resp_{stem(backend_id)}"


def item_id(backend_id: str, part: ir.Part | None, output_index: int) -> str:
    """An output item's id; `part` None: a call signature's reasoning item."""
    prefix = "msg" if isinstance(part, ir.Text) else "fc" if isinstance(part, ir.ToolCall) else "rs"
    return f"{prefix}_{stem(backend_id)}_{output_index}"


# -- items -------------------------------------------------------------------


def output_text(text: str) -> rs.ContentPart:
    return rs.ContentPart(type="output_text", text=text, annotations=[], logprobs=[])


def summary_text(text: str) -> rs.ContentPart:
    return rs.ContentPart(type="summary_text", text=text)


def output_item(part: ir.Part, item_id: str, status: str = "completed", arguments: str = "") -> rs.Item:
    """The output item for a finished part (`arguments`: a ToolCall's JSON text, if streamed)."""
    if isinstance(part, ir.Text):
        content = [output_text(part.text)]
        return rs.Item(type="message", id=item_id, role="assistant", status=status, content=content)
    if isinstance(part, ir.ToolCall):
        args = arguments or compact_json(part.arguments)
        return rs.Item(
            type="function_call", id=item_id, call_id=part.id, name=part.name, arguments=args, status=status
        )
    if isinstance(part, ir.Thinking):
        summary = [summary_text(part.text)] if part.text else []
        return rs.Item(
            type="reasoning", id=item_id, summary=summary, encrypted_content=part.signature or None
        )
    if isinstance(part, ir.RedactedThinking):
        return rs.Item(
            type="reasoning", id=item_id, summary=[], encrypted_content=REDACTED_MARKER + part.data
        )
    raise TypeError(f"{type(part).__name__} is not an answer part")


def call_signature_item(call: ir.ToolCall, item_id: str) -> rs.Item:
    encrypted = f"{CALL_SIGNATURE_MARKER}{call.id}:{call.signature}"
    return rs.Item(type="reasoning", id=item_id, summary=[], encrypted_content=encrypted)


def encrypted_content(item: rs.Item) -> str:
    return item.encrypted_content if isinstance(item.encrypted_content, str) else ""


def attach_call_signature(parts: list[ir.Part], item: rs.Item) -> bool:
    """If reasoning `item` carries a call's signature, give it to that call in `parts` (if
    there): True when it was a call signature, and so no reasoning of its own."""
    encrypted = encrypted_content(item)
    if not encrypted.startswith(CALL_SIGNATURE_MARKER):
        return False
    call_id, _, signature = encrypted.removeprefix(CALL_SIGNATURE_MARKER).rpartition(":")
    for part in reversed(parts):
        if isinstance(part, ir.ToolCall) and part.id == call_id:
            part.signature = signature
            break
    return True


def reasoning_of(item: rs.Item) -> ir.Thinking | ir.RedactedThinking:
    """A reasoning item's part: its summary (or, with none, its reasoning text) and signature."""
    summary, content, encrypted = _texts(item.summary), _texts(item.content), encrypted_content(item)
    if not summary and not content and encrypted.startswith(REDACTED_MARKER):
        return ir.RedactedThinking(data=encrypted.removeprefix(REDACTED_MARKER))
    return ir.Thinking(text="\n\n".join(summary or content), signature=encrypted)


def _texts(parts: list[rs.ContentPart] | str | msgspec.UnsetType | None) -> list[str]:
    if not isinstance(parts, list):
        return []
    return [part.text for part in parts if isinstance(part.text, str)]


# -- usage and status --------------------------------------------------------


def usage_out(usage: ir.Usage) -> rs.Usage:
    return rs.Usage(
        input_tokens=usage.input_tokens,
        input_tokens_details=rs.InputTokensDetails(
            cached_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens
        ),
        output_tokens=usage.output_tokens,
        output_tokens_details=rs.OutputTokensDetails(reasoning_tokens=usage.reasoning_tokens),
        total_tokens=usage.input_tokens + usage.output_tokens,
    )


def usage_in(usage: rs.Usage | msgspec.UnsetType | None) -> ir.Usage:
    if not isinstance(usage, rs.Usage):
        return ir.Usage()
    inputs, outputs = usage.input_tokens_details, usage.output_tokens_details
    return ir.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=inputs.cached_tokens if inputs else 0,
        cache_write_tokens=inputs.cache_write_tokens if inputs else 0,
        reasoning_tokens=outputs.reasoning_tokens if outputs else 0,
    )


_INCOMPLETE_REASONS: dict[ir.StopReason, str] = {
    "length": "max_output_tokens",
    "content_filter": "content_filter",
}


def response_object(
    backend_id: str,
    context: ir.Context,
    output: list[rs.Item],
    stop: ir.StopReason | None,
    usage: ir.Usage | None,
) -> rs.Response:
    """The response object; `stop` None: still in progress. Echoed request fields are the API's
    defaults (the IR does not carry the caller's), present because the SDK's `Response` needs them."""
    reason = _INCOMPLETE_REASONS.get(stop) if stop else None
    status = "in_progress" if stop is None else "incomplete" if reason else "completed"
    return rs.Response(
        id=response_id(backend_id),
        created_at=context.created,
        status=status,
        error=None,
        incomplete_details=rs.IncompleteDetails(reason=reason) if reason else None,
        instructions=None,
        max_output_tokens=None,
        model=context.model,
        output=output,
        parallel_tool_calls=True,
        previous_response_id=None,
        reasoning={"effort": None, "summary": None},
        temperature=None,
        text={"format": {"type": "text"}},
        tool_choice="auto",
        tools=[],
        top_p=None,
        truncation="disabled",
        usage=usage_out(usage) if usage is not None else None,
        metadata={},
    )


def mark_incomplete(output: list[rs.Item], stop: ir.StopReason) -> list[rs.Item]:
    """A cut-off answer's messages are incomplete (in a stream, known only once it ends)."""
    if stop in _INCOMPLETE_REASONS:
        for item in output:
            if item.type == "message":
                item.status = "incomplete"
    return output


def write_response(response: ir.Response, context: ir.Context) -> bytes:
    output: list[rs.Item] = []
    for part in response.parts:
        output.append(output_item(part, item_id(response.id, part, len(output))))
        if isinstance(part, ir.ToolCall) and part.signature:
            output.append(call_signature_item(part, item_id(response.id, None, len(output))))
    mark_incomplete(output, response.stop)
    return _encode(response_object(response.id, context, output, response.stop, response.usage))


# -- reading a Responses backend's answer -----------------------------------------


def stop_reason(status: str | None, reason: str | None, has_tool_calls: bool) -> ir.StopReason:
    if status == "incomplete":
        return "content_filter" if reason == "content_filter" else "length"
    return "tool_calls" if has_tool_calls else "end"


def item_parts(item: rs.Item, where: str) -> list[ir.Part]:
    """The IR parts of one output item (types a translation never asks for are skipped)."""
    if item.type == "message":
        content = item.content if isinstance(item.content, list) else []
        return [ir.Text(text=_text(part)) for part in content if part.type in ("output_text", "refusal")]
    if item.type == "function_call":
        arguments = parse_arguments(item.arguments if isinstance(item.arguments, str) else "")
        if arguments is None or not isinstance(item.call_id, str) or not isinstance(item.name, str):
            raise BackendFormatError(
                f"{where}: a function_call needs call_id, name and JSON object arguments"
            )
        return [ir.ToolCall(id=item.call_id, name=item.name, arguments=arguments)]
    if item.type == "reasoning":
        return [reasoning_of(item)]
    return []


def _text(part: rs.ContentPart) -> str:
    if isinstance(part.text, str):
        return part.text
    return part.refusal if isinstance(part.refusal, str) else ""


def read_response(body: bytes) -> ir.Response:
    try:
        answer = _decode_response(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BackendFormatError(f"not a Responses API response: {exc}") from exc
    if answer.status == "failed":
        message = answer.error.message if isinstance(answer.error, rs.ResponseError) else "failed"
        raise BackendFormatError(f"the response failed: {message}")
    parts: list[ir.Part] = []
    for index, item in enumerate(answer.output):
        if item.type != "reasoning" or not attach_call_signature(parts, item):
            parts.extend(item_parts(item, f"output[{index}]"))
    refused = any(
        isinstance(item.content, list) and any(part.type == "refusal" for part in item.content)
        for item in answer.output
    )
    details = answer.incomplete_details
    reason = details.reason if isinstance(details, rs.IncompleteDetails) else None
    has_calls = any(isinstance(part, ir.ToolCall) for part in parts)
    status = answer.status if isinstance(answer.status, str) else None
    stop = stop_reason(status, reason, has_calls)
    return ir.Response(
        id=answer.id,
        model=answer.model,
        parts=parts,
        stop="content_filter" if refused and stop == "end" else stop,
        usage=usage_in(answer.usage),
        created=int(answer.created_at),
    )


# -- errors ------------------------------------------------------------------
# Error bodies are OpenAI's envelope, as for chat: `openai_chat.read_error` / `write_error`.


def stream_error_kind(code: str | None) -> ir.ErrorKind:
    """An error inside a stream has a code, not a status."""
    if code in ("rate_limit_exceeded", "insufficient_quota"):
        return "rate_limit"
    return "invalid_request" if code in ("invalid_prompt", "invalid_request_error") else "server"


__all__ = [
    "REDACTED_MARKER",
    "item_id",
    "output_item",
    "read_response",
    "response_object",
    "write_response",
]
