"""OpenAI Chat Completions as a shape: requests, answers and errors read into the IR and written back.

Reading a caller's request, what the IR cannot hold is refused with a TranslationError
naming the parameter (a 400 for the caller), never dropped silently:

| OpenAI request field                               | Handling                                 |
|----------------------------------------------------|------------------------------------------|
| `n` > 1                                            | rejected: one choice is translated       |
| `logprobs: true`, `top_logprobs` > 0               | rejected: no log probabilities           |
| non-empty `logit_bias`                             | rejected                                 |
| `audio`, `modalities` containing "audio"           | rejected: no audio output                |
| `input_audio` / `file` content parts               | rejected                                 |
| `prediction`, `web_search_options`, `functions`,   | rejected                                 |
| `function_call`, custom tools, `allowed_tools`     |                                          |
| `reasoning_effort`                                 | ir.Reasoning ("none": disabled)          |
| `response_format`, penalties, `seed`               | the IR's (a backend may refuse them)     |
| assistant `reasoning_content`, `thinking_blocks`   | thinking parts, signatures kept          |
| `store`, `metadata`, `service_tier`, other         | ignored: no effect on what the model     |
| `stream_options` fields, message `name`, image     | writes                                   |
| `detail`, `prompt_cache_key`, `safety_identifier`, |                                          |
| `tool_choice` without `tools`                      |                                          |

Writing for an OpenAI(-compatible) provider, `top_k` is refused; images in tool results
are refused; thinking in history is left out (Chat Completions has no place for it);
cache marks are dropped (OpenAI caches by itself). Answers give an OpenAI chat caller the
thinking as extra message fields: `reasoning_content` (the text) and `thinking_blocks`
([{type: "thinking", thinking, signature} | {type: "redacted_thinking", data}]), which
sent back unchanged continue the turn with the signatures intact. A provider's
`reasoning_content` (or `reasoning`) is read as thinking. Tool-call arguments a provider
returns that are not a JSON object are kept, as text, under RAW_ARGUMENTS_KEY.
Requests: `openai_chat_request`; streams: `openai_chat_stream`.
"""

from typing import Any

import msgspec
from msgspec import UNSET

from ingate_translate import ir
from ingate_translate.base import BackendFormatError
from ingate_translate.codec import ModuleBackend, ModuleClient
from ingate_translate.convert import (
    compact_json,
    error_details,
    error_kind,
    openai_error_body,
    openai_error_type,
    parse_arguments,
    token_count,
)
from ingate_translate.schemas import openai as oa
from ingate_translate.shapes import openai_chat_stream as stream
from ingate_translate.shapes.openai_chat_request import read_request, write_request

RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Holds tool-call arguments that are not a JSON object, as the provider sent them."""

_encode = msgspec.json.Encoder().encode
_decode_completion = msgspec.json.Decoder(oa.ChatCompletion).decode

FINISH_REASONS: dict[ir.StopReason, str] = {
    "end": "stop",
    "stop_sequence": "stop",
    "pause": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}
_STOPS: dict[str, ir.StopReason] = {
    "stop": "end",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def stop_reason(finish_reason: str | None, *, has_tool_calls: bool, refused: bool = False) -> ir.StopReason:
    """A finish_reason as the IR's. Some OpenAI-compatible servers report "stop" for a turn that
    ends in tool calls; callers need "tool_calls" to run their tool loop, so tool calls win."""
    mapped = _STOPS.get(finish_reason or "", "end")
    if mapped == "end" and has_tool_calls:
        return "tool_calls"
    return "content_filter" if mapped == "end" and refused else mapped


# -- answers -------------------------------------------------------------------------


def read_usage(usage: oa.Usage) -> ir.Usage:
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    return ir.Usage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        cache_read_tokens=prompt.cached_tokens if isinstance(prompt, oa.PromptTokensDetails) else 0,
        cache_write_tokens=(
            token_count(prompt.cache_write_tokens) if isinstance(prompt, oa.PromptTokensDetails) else 0
        ),
        reasoning_tokens=completion.reasoning_tokens
        if isinstance(completion, oa.CompletionTokensDetails)
        else 0,
    )


def write_usage(usage: ir.Usage) -> oa.Usage:
    """Cache reads are `cached_tokens`; cache writes `cache_write_tokens` and reasoning
    `completion_tokens_details`, each sent when non-zero."""
    details = oa.PromptTokensDetails(cached_tokens=usage.cache_read_tokens)
    if usage.cache_write_tokens:
        details.cache_write_tokens = usage.cache_write_tokens
    out = oa.Usage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.input_tokens + usage.output_tokens,
        prompt_tokens_details=details,
    )
    if usage.reasoning_tokens:
        out.completion_tokens_details = oa.CompletionTokensDetails(reasoning_tokens=usage.reasoning_tokens)
    return out


def tool_input(arguments: str) -> dict[str, Any]:
    parsed = parse_arguments(arguments)
    return parsed if parsed is not None else {RAW_ARGUMENTS_KEY: arguments}


def _reply_thinking(reply: oa.ResponseMessage) -> list[ir.Part]:
    if isinstance(reply.thinking_blocks, list) and reply.thinking_blocks:
        return [
            ir.Thinking(text=block.thinking, signature=block.signature)
            if isinstance(block, oa.ThinkingBlock)
            else ir.RedactedThinking(data=block.data)
            for block in reply.thinking_blocks
        ]
    for text in (reply.reasoning_content, reply.reasoning):
        if isinstance(text, str) and text:
            return [ir.Thinking(text=text)]
    return []


def read_response(body: bytes) -> ir.Response:
    try:
        completion = _decode_completion(body)
    except msgspec.MsgspecError as exc:
        raise BackendFormatError(f"Unreadable OpenAI response: {exc}") from exc
    parts: list[ir.Part] = []
    finish: str | None = None
    refused = False
    if completion.choices:
        choice = completion.choices[0]
        finish = choice.finish_reason
        reply = choice.message
        parts.extend(_reply_thinking(reply))
        if reply.content:
            parts.append(ir.Text(text=reply.content))
        elif reply.refusal:
            refused = True
            parts.append(ir.Text(text=reply.refusal))
        calls = reply.tool_calls if isinstance(reply.tool_calls, list) else []
        for call in calls:
            arguments = tool_input(call.function.arguments)
            parts.append(ir.ToolCall(id=call.id, name=call.function.name, arguments=arguments))
    has_tools = any(isinstance(part, ir.ToolCall) for part in parts)
    usage = completion.usage
    return ir.Response(
        id=completion.id,
        model=completion.model,
        parts=parts,
        stop=stop_reason(finish, has_tool_calls=has_tools, refused=refused),
        usage=read_usage(usage) if isinstance(usage, oa.Usage) else ir.Usage(),
        created=completion.created,
    )


def completion_id(response_id: str) -> str:
    """OpenAI's ids begin "chatcmpl-": `msg_01Abc` → `chatcmpl-01Abc`."""
    return (
        response_id if response_id.startswith("chatcmpl-") else "chatcmpl-" + response_id.removeprefix("msg_")
    )


def thinking_blocks(parts: list[ir.Part]) -> oa.ThinkingBlocks:
    return [
        oa.ThinkingBlock(thinking=part.text, signature=part.signature)
        if isinstance(part, ir.Thinking)
        else oa.RedactedThinkingBlock(data=part.data)
        for part in parts
        if isinstance(part, ir.Thinking | ir.RedactedThinking)
    ]


def write_response(response: ir.Response, context: ir.Context) -> bytes:
    text = "".join(part.text for part in response.parts if isinstance(part, ir.Text))
    calls = [
        oa.ToolCall(id=part.id, function=oa.FunctionCall(part.name, compact_json(part.arguments)))
        for part in response.parts
        if isinstance(part, ir.ToolCall)
    ]
    message = oa.ResponseMessage(content=text or (None if calls else ""), tool_calls=calls or UNSET)
    blocks = thinking_blocks(response.parts)
    if blocks:
        message.reasoning_content = "".join(
            part.text for part in response.parts if isinstance(part, ir.Thinking)
        )
        message.thinking_blocks = blocks
    completion = oa.ChatCompletion(
        id=completion_id(response.id),
        created=context.created,
        model=response.model or context.model,
        choices=[oa.Choice(message=message, finish_reason=FINISH_REASONS[response.stop])],
        usage=write_usage(response.usage),
    )
    return _encode(completion)


# -- errors ----------------------------------------------------------------------------


def read_error(status: int, body: bytes) -> ir.Error:
    kind, message = error_details(body)
    return ir.Error(
        status=status,
        kind=error_kind(status),
        message=message or f"The backend answered with HTTP status {status}.",
        code=kind,
    )


def write_error(error: ir.Error) -> tuple[int, bytes]:
    """OpenAI's envelope: `type` is what OpenAI sends for the status; `code` keeps the provider's."""
    return error.status, openai_error_body(
        error.message, openai_error_type(error.status), code=error.code, param=error.param
    )


# -- the codecs -------------------------------------------------------------------------


CLIENT = ModuleClient("openai-chat", read_request, write_response, write_error, stream.write_stream)
BACKEND = ModuleBackend("openai-chat", write_request, read_response, read_error, stream.read_stream)
