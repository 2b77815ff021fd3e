"""OpenAI Chat Completions requests: a caller's read into the IR, the IR written for a provider.

The tables of what is refused, translated and ignored are in `openai_chat`.
"""

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslatedRequest, TranslationError
from ingate_translate.convert import compact_json, decode_client_body, image_from_url, parse_arguments
from ingate_translate.schemas import openai as oa

_encode = msgspec.json.Encoder().encode
_EFFORTS: frozenset[str] = frozenset({"minimal", "low", "medium", "high"})

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


def _cache(part: oa.TextPart | oa.ImagePart) -> ir.CacheMark:
    """A part's cache breakpoint (Anthropic's, as OpenAI-format callers of Claude send it)."""
    control = part.cache_control
    if isinstance(control, oa.CacheControl):
        return "1h" if control.ttl == "1h" else "5m"
    return ""


def _texts(content: str | list[oa.TextPart]) -> list[ir.Text]:
    if isinstance(content, str):
        return [ir.Text(text=content)] if content else []
    return [ir.Text(text=part.text, cache=_cache(part)) for part in content if part.text]


def _user_parts(content: str | list[oa.UserPart], where: str) -> list[ir.Part]:
    if isinstance(content, str):
        return [ir.Text(text=content)] if content else []
    parts: list[ir.Part] = []
    for j, part in enumerate(content):
        param = f"{where}.content[{j}]"
        if isinstance(part, oa.TextPart):
            if part.text:
                parts.append(ir.Text(text=part.text, cache=_cache(part)))
        elif isinstance(part, oa.ImagePart):
            image = image_from_url(part.image_url.url, f"{param}.image_url")
            image.cache = _cache(part)
            parts.append(image)
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
    return ir.ToolResult(call_id=message.tool_call_id, content=list(_texts(message.content)))


def _messages(messages: list[oa.Message]) -> tuple[list[ir.Text], list[ir.Message]]:
    system: list[ir.Text] = []
    out: list[ir.Message] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if isinstance(message, oa.SystemMessage | oa.DeveloperMessage):
            system.extend(_texts(message.content))
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
        if spec.parameters is not None:  # else the IR's empty object schema
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
