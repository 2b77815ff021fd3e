"""OpenAI Chat Completions client → Anthropic Messages backend.

Request fields with no Anthropic equivalent are refused with a TranslationError
naming the parameter (a 400 for the client), never dropped silently:

| OpenAI request field                               | Handling                                 |
|----------------------------------------------------|------------------------------------------|
| `n` > 1                                            | rejected: Anthropic returns one choice   |
| `logprobs: true`, `top_logprobs` > 0               | rejected: no log probabilities           |
| non-empty `logit_bias`                             | rejected                                 |
| `response_format` other than `{"type": "text"}`    | rejected: no JSON mode                   |
| `audio`, `modalities` containing "audio"           | rejected: no audio output                |
| `input_audio` / `file` content parts               | rejected                                 |
| non-zero `presence_penalty` / `frequency_penalty`  | rejected                                 |
| `temperature` > 1                                  | rejected: Anthropic's range is 0 to 1    |
| `reasoning_effort`, `prediction`,                  | rejected                                 |
| `web_search_options`, `functions`,                 |                                          |
| `function_call`, custom tools, `allowed_tools`     |                                          |
| `seed`, `store`, `metadata`, `service_tier`,       | ignored: no effect on what the model     |
| other `stream_options` fields, message `name`,     | writes                                   |
| image `detail`, `prompt_cache_key`,                |                                          |
| `safety_identifier`, `tool_choice` without `tools` |                                          |

`max_completion_tokens` (or else `max_tokens`) becomes `max_tokens`, which Anthropic
requires: DEFAULT_MAX_TOKENS when the client sets neither. System and developer
messages become `system` in order; tool messages become `tool_result` blocks in a
user turn, and consecutive turns of one role are merged (tool results first, as
Anthropic requires). Empty text is left out, since Anthropic refuses empty blocks.

Streams are translated by `openai_anthropic_stream` (documented there).
"""

import time

import msgspec
from msgspec import UNSET, Struct

from ingate_providers import Shape
from ingate_translate.base import BackendFormatError, SseEvent, TranslatedRequest, TranslationError
from ingate_translate.convert import (
    chat_completion_id,
    compact_json,
    decode_client_body,
    error_details,
    finish_reason,
    image_to_anthropic,
    openai_error_body,
    openai_error_type,
    openai_usage,
    parse_arguments,
    token_count,
    tool_choice_to_anthropic,
    tool_to_anthropic,
)
from ingate_translate.openai_anthropic_stream import (
    StreamState,
    finish_stream,
    start_stream,
    translate_stream_events,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa

DEFAULT_MAX_TOKENS = 4096
"""`max_tokens` sent when the client sets neither `max_completion_tokens` nor `max_tokens`."""
ANTHROPIC_VERSION = "2023-06-01"

_encode = msgspec.json.Encoder().encode


class Context(Struct, kw_only=True):
    """What the response and stream side need from the request."""

    model: str
    created: int
    include_usage: bool = False


def _context(context: bytes) -> Context:
    return msgspec.json.decode(context, type=Context)


# -- request -----------------------------------------------------------------


def _refuse_inexpressible(req: oa.ChatRequest) -> None:
    fmt = req.response_format
    checks = [
        (req.n is not None and req.n > 1, "n", "Anthropic models return one choice; n must be 1."),
        (bool(req.logprobs), "logprobs", "Anthropic models do not return log probabilities."),
        (bool(req.top_logprobs), "top_logprobs", "Anthropic models do not return log probabilities."),
        (bool(req.logit_bias), "logit_bias", "Anthropic models do not support logit_bias."),
        (fmt is not None and fmt.type != "text", "response_format", "Only text responses are supported."),
        (req.audio is not None, "audio", "Anthropic models do not produce audio."),
        ("audio" in (req.modalities or []), "modalities", "Anthropic models do not produce audio."),
        (bool(req.presence_penalty), "presence_penalty", "Anthropic models have no presence_penalty."),
        (bool(req.frequency_penalty), "frequency_penalty", "Anthropic models have no frequency_penalty."),
        (
            req.temperature is not None and req.temperature > 1,
            "temperature",
            "temperature must be between 0 and 1 for Anthropic models.",
        ),
        (req.reasoning_effort is not None, "reasoning_effort", "reasoning_effort cannot be translated."),
        (req.prediction is not None, "prediction", "Predicted outputs cannot be translated."),
        (req.web_search_options is not None, "web_search_options", "Web search cannot be translated."),
        (
            req.functions is not None,
            "functions",
            "The deprecated functions field is not supported; use tools.",
        ),
        (req.function_call is not None, "function_call", "function_call is not supported; use tool_choice."),
    ]
    for failed, param, message in checks:
        if failed:
            raise TranslationError(message, param=param)


def _user_blocks(content: str | list[oa.UserPart], where: str) -> list[an.ContentBlock]:
    if isinstance(content, str):
        return [an.TextBlock(content)] if content else []
    blocks: list[an.ContentBlock] = []
    for j, part in enumerate(content):
        param = f"{where}.content[{j}]"
        if isinstance(part, oa.TextPart):
            if part.text:
                blocks.append(an.TextBlock(part.text))
        elif isinstance(part, oa.ImagePart):
            blocks.append(image_to_anthropic(part.image_url.url, f"{param}.image_url"))
        elif isinstance(part, oa.InputAudioPart):
            raise TranslationError("Anthropic models do not take audio input.", param=param)
        else:
            raise TranslationError("File content parts cannot be sent to Anthropic models.", param=param)
    return blocks


def _assistant_blocks(message: oa.AssistantMessage, where: str) -> list[an.ContentBlock]:
    content = message.content
    if isinstance(content, list):
        texts = [part.text if isinstance(part, oa.TextPart) else part.refusal for part in content]
    else:
        texts = [content or message.refusal or ""]
    blocks: list[an.ContentBlock] = [an.TextBlock(text) for text in texts if text]
    for k, call in enumerate(message.tool_calls or []):
        arguments = parse_arguments(call.function.arguments)
        if arguments is None:
            param = f"{where}.tool_calls[{k}].function.arguments"
            raise TranslationError("Tool call arguments must be a JSON object.", param=param)
        blocks.append(an.ToolUseBlock(id=call.id, name=call.function.name, input=arguments))
    return blocks


def _tool_result(message: oa.ToolMessage) -> an.ToolResultBlock:
    content = message.content
    if isinstance(content, list):
        parts: list[an.ToolResultPart] = [an.TextBlock(part.text) for part in content if part.text]
        return an.ToolResultBlock(tool_use_id=message.tool_call_id, content=parts or None)
    return an.ToolResultBlock(tool_use_id=message.tool_call_id, content=content or None)


def _system_texts(content: str | list[oa.TextPart]) -> list[str]:
    texts = [content] if isinstance(content, str) else [part.text for part in content]
    return [text for text in texts if text]


def _messages(messages: list[oa.Message]) -> tuple[list[str], list[an.Message]]:
    system: list[str] = []
    turns: list[tuple[str, list[an.ContentBlock]]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        blocks: list[an.ContentBlock]
        if isinstance(message, oa.SystemMessage | oa.DeveloperMessage):
            system.extend(_system_texts(message.content))
            continue
        if isinstance(message, oa.UserMessage):
            role, blocks = "user", _user_blocks(message.content, where)
        elif isinstance(message, oa.AssistantMessage):
            role, blocks = "assistant", _assistant_blocks(message, where)
        elif isinstance(message, oa.ToolMessage):
            role, blocks = "user", [_tool_result(message)]
        else:
            raise TranslationError("The function role is not supported; use tool messages.", f"{where}.role")
        if not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    result: list[an.Message] = []
    for role, blocks in turns:
        if role == "user":  # Anthropic wants a turn's tool results before anything else in it
            blocks.sort(key=lambda block: not isinstance(block, an.ToolResultBlock))
        result.append(an.Message(role="user" if role == "user" else "assistant", content=blocks))
    return system, result


def translate_request(body: bytes, *, created: int) -> TranslatedRequest:
    """An OpenAI chat completion request → an Anthropic messages request."""
    req = decode_client_body(body, oa.ChatRequest)
    _refuse_inexpressible(req)
    system, messages = _messages(req.messages)
    tools: list[an.Tool] | None = None
    tool_choice: an.ToolChoice | None = None
    if req.tools:
        tools = []
        for i, tool in enumerate(req.tools):
            if not isinstance(tool, oa.FunctionTool):
                raise TranslationError("Only function tools can be translated.", param=f"tools[{i}]")
            tools.append(tool_to_anthropic(tool))
        tool_choice = tool_choice_to_anthropic(req.tool_choice, req.parallel_tool_calls)
    stop = [req.stop] if isinstance(req.stop, str) else req.stop
    out = an.MessagesRequest(
        model=req.model,
        messages=messages,
        max_tokens=req.max_completion_tokens or req.max_tokens or DEFAULT_MAX_TOKENS,
        system=(system[0] if len(system) == 1 else [an.TextBlock(text) for text in system]) or None,
        stop_sequences=stop or None,
        stream=True if req.stream else None,
        temperature=req.temperature,
        top_p=req.top_p,
        tools=tools,
        tool_choice=tool_choice,
        metadata=an.Metadata(user_id=req.user) if req.user else None,
    )
    options = req.stream_options
    context = Context(model=req.model, created=created, include_usage=bool(options and options.include_usage))
    return TranslatedRequest(
        body=_encode(out),
        path="/v1/messages",
        headers={"anthropic-version": ANTHROPIC_VERSION},
        stream=bool(req.stream),
        model=req.model,
        context=_encode(context),
    )


# -- response and errors -----------------------------------------------------


def translate_response(context: bytes, body: bytes) -> bytes:
    """An Anthropic message → an OpenAI chat.completion."""
    ctx = _context(context)
    try:
        message = msgspec.json.decode(body, type=an.MessageResponse[an.AnyBlock])
    except msgspec.MsgspecError as exc:
        raise BackendFormatError(f"Unreadable Anthropic response: {exc}") from exc
    text = "".join(block.text for block in message.content if block.type == "text")
    calls = [
        oa.ToolCall(id=block.id, function=oa.FunctionCall(block.name, compact_json(block.input or {})))
        for block in message.content
        if block.type == "tool_use"
    ]
    usage = message.usage
    completion = oa.ChatCompletion(
        id=chat_completion_id(message.id),
        created=ctx.created,
        model=message.model or ctx.model,
        choices=[
            oa.Choice(
                message=oa.ResponseMessage(
                    content=text or (None if calls else ""), tool_calls=calls or UNSET
                ),
                finish_reason=finish_reason(message.stop_reason),
            )
        ],
        usage=openai_usage(
            usage.input_tokens,
            usage.output_tokens,
            token_count(usage.cache_read_input_tokens),
            token_count(usage.cache_creation_input_tokens),
        ),
    )
    return _encode(completion)


def translate_error(status: int, body: bytes) -> tuple[int, bytes]:
    """An Anthropic error → an OpenAI error envelope with the same status.

    `type` is what OpenAI sends for that status; `code` keeps Anthropic's error type.
    """
    kind, message = error_details(body)
    message = message or f"The backend answered with HTTP status {status}."
    return status, openai_error_body(message, openai_error_type(status), code=kind)


def reject(error: TranslationError) -> tuple[int, bytes]:
    """A request that cannot be translated → the 400 OpenAI would send."""
    return 400, openai_error_body(error.message, "invalid_request_error", param=error.param)


class OpenAIToAnthropic:
    """The OpenAI SDK talking to an Anthropic model."""

    client: Shape = "openai-chat"
    backend: Shape = "anthropic-messages"

    def request(self, body: bytes, created: int | None = None) -> TranslatedRequest:
        return translate_request(body, created=int(time.time()) if created is None else created)

    def response(self, context: bytes, body: bytes) -> bytes:
        return translate_response(context, body)

    def error(self, context: bytes, status: int, body: bytes) -> tuple[int, bytes]:
        del context  # the envelope needs nothing from the request
        return translate_error(status, body)

    def reject(self, error: TranslationError) -> tuple[int, bytes]:
        return reject(error)

    def stream_start(self, context: bytes) -> bytes:
        ctx = _context(context)
        return _encode(start_stream(ctx.model, ctx.created, ctx.include_usage))

    def stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[SseEvent]]:
        current = msgspec.json.decode(state, type=StreamState)
        out = translate_stream_events(current, events)
        if final:
            out.extend(finish_stream(current))
        return _encode(current), out
