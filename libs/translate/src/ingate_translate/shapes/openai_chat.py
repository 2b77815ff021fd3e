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
Streams: `openai_chat_stream`.
"""

from typing import Any

import msgspec
from msgspec import UNSET

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import BackendFormatError, SseEvent, TranslatedRequest, TranslationError
from ingate_translate.convert import (
    compact_json,
    decode_client_body,
    error_details,
    error_kind,
    image_to_anthropic,
    openai_error_body,
    openai_error_type,
    parse_arguments,
    token_count,
)
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas import openai as oa
from ingate_translate.shapes import openai_chat_stream as stream

RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Holds tool-call arguments that are not a JSON object, as the provider sent them."""

_encode = msgspec.json.Encoder().encode
_decode_completion = msgspec.json.Decoder(oa.ChatCompletion).decode
_EFFORTS: frozenset[str] = frozenset({"minimal", "low", "medium", "high"})

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


# -- reading requests ------------------------------------------------------------


def _refuse_inexpressible(req: oa.ChatRequest) -> None:
    checks = [
        (req.n is not None and req.n > 1, "n", "Only one choice can be translated; n must be 1."),
        (bool(req.logprobs), "logprobs", "Log probabilities cannot be translated."),
        (bool(req.top_logprobs), "top_logprobs", "Log probabilities cannot be translated."),
        (bool(req.logit_bias), "logit_bias", "logit_bias cannot be translated."),
        (req.audio is not None, "audio", "Audio output cannot be translated."),
        ("audio" in (req.modalities or []), "modalities", "Audio output cannot be translated."),
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


def _image(url: str, param: str) -> ir.Image:
    block = image_to_anthropic(url, param)  # checks data URLs and their media types
    source = block.source
    if isinstance(source, an.Base64Source):
        return ir.Image(media_type=source.media_type, data=source.data)
    return ir.Image(url=url)


def _user_parts(content: str | list[oa.UserPart], where: str) -> list[ir.Part]:
    if isinstance(content, str):
        return [ir.Text(text=content)] if content else []
    parts: list[ir.Part] = []
    for j, part in enumerate(content):
        param = f"{where}.content[{j}]"
        if isinstance(part, oa.TextPart):
            if part.text:
                parts.append(ir.Text(text=part.text))
        elif isinstance(part, oa.ImagePart):
            parts.append(_image(part.image_url.url, f"{param}.image_url"))
        elif isinstance(part, oa.InputAudioPart):
            raise TranslationError("Audio input cannot be translated.", param=param)
        else:
            raise TranslationError("File content parts cannot be translated.", param=param)
    return parts


def _thinking_parts(message: oa.AssistantMessage) -> list[ir.Part]:
    if message.thinking_blocks:
        return [
            ir.Thinking(text=block.thinking, signature=block.signature)
            if isinstance(block, oa.ThinkingBlock)
            else ir.RedactedThinking(data=block.data)
            for block in message.thinking_blocks
        ]
    return [ir.Thinking(text=message.reasoning_content)] if message.reasoning_content else []


def _assistant_parts(message: oa.AssistantMessage, where: str) -> list[ir.Part]:
    content = message.content
    if isinstance(content, list):
        texts = [part.text if isinstance(part, oa.TextPart) else part.refusal for part in content]
    else:
        texts = [content or message.refusal or ""]
    parts = _thinking_parts(message)
    parts.extend(ir.Text(text=text) for text in texts if text)
    for k, call in enumerate(message.tool_calls or []):
        arguments = parse_arguments(call.function.arguments)
        if arguments is None:
            param = f"{where}.tool_calls[{k}].function.arguments"
            raise TranslationError("Tool call arguments must be a JSON object.", param=param)
        parts.append(ir.ToolCall(id=call.id, name=call.function.name, arguments=arguments))
    return parts


def _tool_result(message: oa.ToolMessage) -> ir.ToolResult:
    content = message.content
    texts = [content] if isinstance(content, str) else [part.text for part in content]
    return ir.ToolResult(call_id=message.tool_call_id, content=[ir.Text(text=text) for text in texts if text])


def _messages(messages: list[oa.Message]) -> tuple[list[ir.Text], list[ir.Message]]:
    system: list[ir.Text] = []
    out: list[ir.Message] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if isinstance(message, oa.SystemMessage | oa.DeveloperMessage):
            content = message.content
            texts = [content] if isinstance(content, str) else [part.text for part in content]
            system.extend(ir.Text(text=text) for text in texts if text)
        elif isinstance(message, oa.UserMessage):
            out.append(ir.Message(role="user", parts=_user_parts(message.content, where)))
        elif isinstance(message, oa.AssistantMessage):
            out.append(ir.Message(role="assistant", parts=_assistant_parts(message, where)))
        elif isinstance(message, oa.ToolMessage):
            out.append(ir.Message(role="user", parts=[_tool_result(message)]))
        else:
            raise TranslationError("The function role is not supported; use tool messages.", f"{where}.role")
    return system, out


def _tools(req: oa.ChatRequest) -> tuple[list[ir.Tool], ir.ToolChoice | None]:
    tools: list[ir.Tool] = []
    for i, tool in enumerate(req.tools or []):
        if not isinstance(tool, oa.FunctionTool):
            raise TranslationError("Only function tools can be translated.", param=f"tools[{i}]")
        spec = tool.function
        tools.append(ir.Tool(name=spec.name, description=spec.description or ""))
        if spec.parameters is not None:
            tools[-1].parameters = spec.parameters
    if not tools:
        return tools, None
    choice, parallel = req.tool_choice, req.parallel_tool_calls
    parallel_hint = False if parallel is False else None
    if choice in ("none", "required", "auto"):
        return tools, ir.ToolChoice(mode=choice, parallel=parallel_hint)
    if isinstance(choice, oa.ToolChoiceFunction):
        return tools, ir.ToolChoice(mode="tool", name=choice.function.name, parallel=parallel_hint)
    if choice is not None:
        raise TranslationError("Only function tool_choice values can be translated.", param="tool_choice")
    return tools, ir.ToolChoice(parallel=False) if parallel is False else None


def _response_format(fmt: oa.ResponseFormat | None) -> ir.ResponseFormat | None:
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return ir.ResponseFormat(kind="json_object")
    if fmt.type == "json_schema" and fmt.json_schema is not None:
        spec = fmt.json_schema
        return ir.ResponseFormat(kind="json_schema", name=spec.name, schema=spec.schema, strict=spec.strict)
    raise TranslationError(f"response_format {fmt.type!r} cannot be translated.", param="response_format")


def _reasoning(effort: str | None) -> ir.Reasoning | None:
    if effort is None:
        return None
    if effort == "none":
        return ir.Reasoning(enabled=False)
    if effort not in _EFFORTS:
        raise TranslationError(f"Unknown reasoning_effort {effort!r}.", param="reasoning_effort")
    return ir.Reasoning(effort=effort)  # type: ignore[arg-type]  # checked just above


def read_request(body: bytes) -> ir.Request:
    req = decode_client_body(body, oa.ChatRequest)
    _refuse_inexpressible(req)
    system, messages = _messages(req.messages)
    tools, tool_choice = _tools(req)
    options = req.stream_options
    return ir.Request(
        model=req.model,
        system=system,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        max_tokens=req.max_completion_tokens or req.max_tokens,
        temperature=req.temperature,
        top_p=req.top_p,
        stop=[req.stop] if isinstance(req.stop, str) else req.stop or [],
        presence_penalty=req.presence_penalty or None,
        frequency_penalty=req.frequency_penalty or None,
        seed=req.seed,
        response_format=_response_format(req.response_format),
        reasoning=_reasoning(req.reasoning_effort),
        user=req.user or "",
        stream=bool(req.stream),
        include_usage=bool(options and options.include_usage),
    )


# -- writing requests ------------------------------------------------------------


def image_url(image: ir.Image) -> str:
    return image.url or f"data:{image.media_type};base64,{image.data}"


def _result_text(result: ir.ToolResult, param: str) -> str:
    texts: list[str] = []
    for k, part in enumerate(result.content):
        if not isinstance(part, ir.Text):
            raise TranslationError(
                "OpenAI tool results can only hold text, not images.", f"{param}.content[{k}]"
            )
        texts.append(part.text)
    text = "\n".join(texts)
    if result.is_error:
        return f"Error: {text}" if text else "Error"
    return text


def _user_messages(message: ir.Message, where: str) -> list[oa.Message]:
    results: list[oa.Message] = []
    parts: list[oa.UserPart] = []
    for j, part in enumerate(message.parts):
        param = f"{where}.content[{j}]"
        if isinstance(part, ir.Text):
            parts.append(oa.TextPart(part.text))
        elif isinstance(part, ir.Image):
            parts.append(oa.ImagePart(image_url=oa.ImageURL(url=image_url(part))))
        elif isinstance(part, ir.ToolResult):
            results.append(oa.ToolMessage(content=_result_text(part, param), tool_call_id=part.call_id))
        else:
            raise TranslationError(f"{type(part).__name__} parts cannot be sent in a user turn.", param)
    if len(parts) == 1 and isinstance(parts[0], oa.TextPart):
        results.append(oa.UserMessage(parts[0].text))
    elif parts:
        results.append(oa.UserMessage(parts))
    return results


def _assistant_message(message: ir.Message, where: str) -> list[oa.Message]:
    texts: list[str] = []
    calls: list[oa.ToolCall] = []
    for j, part in enumerate(message.parts):
        if isinstance(part, ir.Text):
            texts.append(part.text)
        elif isinstance(part, ir.ToolCall):
            function = oa.FunctionCall(name=part.name, arguments=compact_json(part.arguments))
            calls.append(oa.ToolCall(id=part.id, function=function))
        elif not isinstance(part, ir.Thinking | ir.RedactedThinking):
            message_text = f"{type(part).__name__} parts cannot be sent in an assistant turn."
            raise TranslationError(message_text, param=f"{where}.content[{j}]")
    text = "".join(texts)
    if not text and not calls:
        return []
    return [oa.AssistantMessage(content=text or None, tool_calls=calls or None)]


def _tool_choice(choice: ir.ToolChoice | None) -> tuple[oa.ToolChoice | None, bool | None]:
    if choice is None:
        return None, None
    parallel = False if choice.parallel is False else None
    if choice.mode == "none":
        return "none", None
    if choice.mode == "tool":
        return oa.ToolChoiceFunction(function=oa.NamedFunction(name=choice.name)), parallel
    return choice.mode, parallel


def _format_out(fmt: ir.ResponseFormat | None) -> oa.ResponseFormat | None:
    if fmt is None or fmt.kind == "text":
        return None
    if fmt.kind == "json_object":
        return oa.ResponseFormat(type="json_object")
    spec = oa.JsonSchemaFormat(name=fmt.name or "response", schema=fmt.schema, strict=fmt.strict)
    return oa.ResponseFormat(type="json_schema", json_schema=spec)


def _effort(reasoning: ir.Reasoning | None) -> str | None:
    if reasoning is None or not reasoning.enabled:
        return None
    if reasoning.effort is not None:
        return reasoning.effort
    return ir.effort_for_budget(reasoning.budget_tokens) if reasoning.budget_tokens else "medium"


def write_request(request: ir.Request) -> TranslatedRequest:
    if request.top_k is not None:
        raise TranslationError("OpenAI models do not support top_k.", param="top_k")
    messages: list[oa.Message] = []
    system = "\n\n".join(text.text for text in request.system if text.text)
    if system:
        messages.append(oa.SystemMessage(system))
    for i, message in enumerate(request.messages):
        convert = _user_messages if message.role == "user" else _assistant_message
        messages.extend(convert(message, f"messages[{i}]"))
    tools: list[oa.Tool] = [
        oa.FunctionTool(
            function=oa.FunctionDefinition(
                name=tool.name, description=tool.description or None, parameters=tool.parameters
            )
        )
        for tool in request.tools
    ]
    tool_choice, parallel = _tool_choice(request.tool_choice) if tools else (None, None)
    out = oa.ChatRequest(
        model=request.model,
        messages=messages,
        max_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        stop=request.stop or None,
        stream=True if request.stream else None,
        stream_options=oa.StreamOptions(include_usage=True) if request.stream else None,
        tools=tools or None,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        user=request.user or None,
        response_format=_format_out(request.response_format),
        presence_penalty=request.presence_penalty,
        frequency_penalty=request.frequency_penalty,
        seed=request.seed,
        reasoning_effort=_effort(request.reasoning),
    )
    return TranslatedRequest(
        body=_encode(out), path="/chat/completions", stream=request.stream, model=request.model
    )


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


class OpenAIChatClient:
    shape: Shape = "openai-chat"

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:
        del hints  # the body names the model and streaming
        return read_request(body)

    def write_response(self, response: ir.Response, context: ir.Context) -> bytes:
        return write_response(response, context)

    def write_error(self, error: ir.Error) -> tuple[int, bytes]:
        return write_error(error)

    def write_stream(
        self, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
    ) -> tuple[bytes, bytes]:
        return stream.write_stream(state, context, events, final)


class OpenAIChatBackend:
    shape: Shape = "openai-chat"

    def write_request(self, request: ir.Request) -> TranslatedRequest:
        return write_request(request)

    def read_response(self, body: bytes) -> ir.Response:
        return read_response(body)

    def read_error(self, status: int, body: bytes) -> ir.Error:
        return read_error(status, body)

    def read_stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
        return stream.read_stream(state, events, final)
