"""Anthropic Messages client → OpenAI Chat Completions backend.

Request fields with no Chat Completions equivalent are refused with a
TranslationError naming the parameter (a 400 for the client), never dropped silently:

| Anthropic request field                       | Handling                                      |
|-----------------------------------------------|-----------------------------------------------|
| `top_k`                                       | rejected                                      |
| `thinking` other than `{"type": "disabled"}`  | rejected                                      |
| `mcp_servers`, server tools (`type` set)      | rejected                                      |
| `document` / `search_result` blocks, images   | rejected                                      |
| inside `tool_result`, image `file` sources    |                                               |
| `service_tier`, `cache_control` markers,      | ignored: no effect on the answer's content    |
| `citations` settings, `container`,            |                                               |
| `tool_choice` without `tools`                 |                                               |
| `thinking` / `redacted_thinking` blocks in    | left out: Chat Completions has no place for   |
| assistant history                             | them                                          |

`system` becomes a leading system message (text blocks joined by a blank line);
`tool_result` blocks become `tool` messages ahead of the rest of their turn, with a
list of text blocks joined by newlines and `is_error` noted as an `Error: ` prefix.
`max_tokens` is sent as `max_tokens`. Streamed requests also ask for
`stream_options.include_usage` so the final `message_delta` carries token counts.

Streams are translated by `anthropic_openai_stream` (documented there).

Tool-call arguments the backend returns that are not a JSON object are kept, as
text, under RAW_ARGUMENTS_KEY (`{"_raw_arguments": "..."}`) rather than replaced by
`{}`: the tool then fails visibly instead of running without its arguments.
"""

import msgspec
from msgspec import Struct

from ingate_providers import Shape
from ingate_translate.anthropic_openai_stream import (
    StreamState,
    finish_stream,
    start_stream,
    translate_stream_events,
)
from ingate_translate.base import BackendFormatError, SseEvent, TranslatedRequest, TranslationError
from ingate_translate.convert import (
    anthropic_error_body,
    anthropic_error_type,
    anthropic_usage,
    compact_json,
    decode_client_body,
    error_details,
    image_to_openai,
    message_id,
    parse_arguments,
    stop_reason,
    tool_choice_to_openai,
    tool_to_openai,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa

RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Holds tool-call arguments that are not a JSON object, as the backend sent them."""

_encode = msgspec.json.Encoder().encode


class Context(Struct, kw_only=True):
    """What the response and stream side need from the request."""

    model: str


def _context(context: bytes) -> Context:
    return msgspec.json.decode(context, type=Context)


# -- request -----------------------------------------------------------------


def _block_type(block: Struct) -> str:
    return str(type(block).__struct_config__.tag)


def _refuse_inexpressible(req: an.MessagesRequest) -> None:
    if req.top_k is not None:
        raise TranslationError("OpenAI models do not support top_k.", param="top_k")
    if req.thinking is not None and req.thinking.type != "disabled":
        raise TranslationError("Extended thinking cannot be translated for OpenAI models.", param="thinking")
    if req.mcp_servers is not None:
        raise TranslationError("MCP servers cannot be translated for OpenAI models.", param="mcp_servers")


def _tool_result_text(block: an.ToolResultBlock, param: str) -> str:
    content = block.content
    if content is None or isinstance(content, str):
        text = content or ""
    else:
        texts: list[str] = []
        for k, part in enumerate(content):
            if not isinstance(part, an.TextBlock):
                kind = _block_type(part)
                message = f"OpenAI tool results can only hold text, not {kind} blocks."
                raise TranslationError(message, param=f"{param}.content[{k}]")
            texts.append(part.text)
        text = "\n".join(texts)
    if block.is_error:
        return f"Error: {text}" if text else "Error"
    return text


def _user_messages(content: str | list[an.ContentBlock], where: str) -> list[oa.Message]:
    if isinstance(content, str):
        return [oa.UserMessage(content)]
    results: list[oa.Message] = []
    parts: list[oa.UserPart] = []
    for j, block in enumerate(content):
        param = f"{where}.content[{j}]"
        if isinstance(block, an.TextBlock):
            parts.append(oa.TextPart(block.text))
        elif isinstance(block, an.ImageBlock):
            parts.append(image_to_openai(block, f"{param}.source"))
        elif isinstance(block, an.ToolResultBlock):
            text = _tool_result_text(block, param)
            results.append(oa.ToolMessage(content=text, tool_call_id=block.tool_use_id))
        else:
            kind = _block_type(block)
            raise TranslationError(f"{kind} blocks cannot be sent in a user turn to OpenAI models.", param)
    if len(parts) == 1 and isinstance(parts[0], oa.TextPart):
        results.append(oa.UserMessage(parts[0].text))
    elif parts:
        results.append(oa.UserMessage(parts))
    return results


def _assistant_messages(content: str | list[an.ContentBlock], where: str) -> list[oa.Message]:
    if isinstance(content, str):
        return [oa.AssistantMessage(content=content)] if content else []
    texts: list[str] = []
    calls: list[oa.ToolCall] = []
    for j, block in enumerate(content):
        if isinstance(block, an.TextBlock):
            texts.append(block.text)
        elif isinstance(block, an.ToolUseBlock):
            function = oa.FunctionCall(name=block.name, arguments=compact_json(block.input))
            calls.append(oa.ToolCall(id=block.id, function=function))
        elif not isinstance(block, an.ThinkingBlock | an.RedactedThinkingBlock):
            kind = _block_type(block)
            message = f"{kind} blocks cannot be sent in an assistant turn to OpenAI models."
            raise TranslationError(message, param=f"{where}.content[{j}]")
    text = "".join(texts)
    if not text and not calls:
        return []
    return [oa.AssistantMessage(content=text or None, tool_calls=calls or None)]


def _system(system: str | list[an.TextBlock] | None) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    return "\n\n".join(block.text for block in system if block.text)


def translate_request(body: bytes) -> TranslatedRequest:
    """An Anthropic messages request → an OpenAI chat completion request."""
    req = decode_client_body(body, an.MessagesRequest)
    _refuse_inexpressible(req)
    messages: list[oa.Message] = []
    system = _system(req.system)
    if system:
        messages.append(oa.SystemMessage(system))
    for i, message in enumerate(req.messages):
        convert = _user_messages if message.role == "user" else _assistant_messages
        messages.extend(convert(message.content, f"messages[{i}]"))
    tools: list[oa.Tool] = [tool_to_openai(tool, f"tools[{i}]") for i, tool in enumerate(req.tools or [])]
    tool_choice, parallel = tool_choice_to_openai(req.tool_choice) if tools else (None, None)
    out = oa.ChatRequest(
        model=req.model,
        messages=messages,
        max_tokens=req.max_tokens,
        temperature=req.temperature,
        top_p=req.top_p,
        stop=req.stop_sequences or None,
        stream=True if req.stream else None,
        stream_options=oa.StreamOptions(include_usage=True) if req.stream else None,
        tools=tools or None,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        user=req.metadata.user_id if req.metadata else None,
    )
    return TranslatedRequest(
        body=_encode(out),
        path="/chat/completions",
        stream=bool(req.stream),
        model=req.model,
        context=_encode(Context(model=req.model)),
    )


# -- response and errors -----------------------------------------------------


def _tool_input(arguments: str) -> dict[str, object]:
    parsed = parse_arguments(arguments)
    return parsed if parsed is not None else {RAW_ARGUMENTS_KEY: arguments}


def translate_response(context: bytes, body: bytes) -> bytes:
    """An OpenAI chat.completion → an Anthropic message."""
    ctx = _context(context)
    try:
        completion = msgspec.json.decode(body, type=oa.ChatCompletion)
    except msgspec.MsgspecError as exc:
        raise BackendFormatError(f"Unreadable OpenAI response: {exc}") from exc
    blocks: list[an.OutBlock] = []
    finish: str | None = None
    refused = False
    if completion.choices:
        choice = completion.choices[0]
        finish = choice.finish_reason
        reply = choice.message
        if reply.content:
            blocks.append(an.TextBlock(reply.content))
        elif reply.refusal:
            refused = True
            blocks.append(an.TextBlock(reply.refusal))
        calls = reply.tool_calls if isinstance(reply.tool_calls, list) else []
        for call in calls:
            blocks.append(
                an.ToolUseBlock(
                    id=call.id, name=call.function.name, input=_tool_input(call.function.arguments)
                )
            )
    has_tools = any(isinstance(block, an.ToolUseBlock) for block in blocks)
    reason = stop_reason(finish, has_tool_calls=has_tools)
    usage = completion.usage
    message = an.MessageResponse[an.OutBlock](
        id=message_id(completion.id),
        content=blocks,
        model=completion.model or ctx.model,
        stop_reason="refusal" if refused and reason == "end_turn" else reason,
        usage=anthropic_usage(usage) if isinstance(usage, oa.Usage) else an.Usage(),
    )
    return _encode(message)


def translate_error(status: int, body: bytes) -> tuple[int, bytes]:
    """An OpenAI error → an Anthropic error body with the same status; the type follows the status."""
    _, message = error_details(body)
    message = message or f"The backend answered with HTTP status {status}."
    return status, anthropic_error_body(anthropic_error_type(status), message)


def reject(error: TranslationError) -> tuple[int, bytes]:
    """A request that cannot be translated → the 400 Anthropic would send."""
    message = f"{error.param}: {error.message}" if error.param else error.message
    return 400, anthropic_error_body("invalid_request_error", message)


class AnthropicToOpenAI:
    """The Anthropic SDK talking to an OpenAI model."""

    client: Shape = "anthropic-messages"
    backend: Shape = "openai-chat"

    def request(self, body: bytes) -> TranslatedRequest:
        return translate_request(body)

    def response(self, context: bytes, body: bytes) -> bytes:
        return translate_response(context, body)

    def error(self, context: bytes, status: int, body: bytes) -> tuple[int, bytes]:
        del context  # the envelope needs nothing from the request
        return translate_error(status, body)

    def reject(self, error: TranslationError) -> tuple[int, bytes]:
        return reject(error)

    def stream_start(self, context: bytes) -> bytes:
        return _encode(start_stream(_context(context).model))

    def stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[SseEvent]]:
        current = msgspec.json.decode(state, type=StreamState)
        out = translate_stream_events(current, events)
        if final:
            out.extend(finish_stream(current))
        return _encode(current), out
