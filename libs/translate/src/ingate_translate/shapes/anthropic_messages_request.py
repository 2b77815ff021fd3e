"""Anthropic Messages requests: a caller's read into the IR, the IR written for a provider.

The tables of what is refused, translated and ignored are in `anthropic_messages`.
"""

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslatedRequest, TranslationError
from ingate_translate.convert import decode_client_body
from ingate_translate.schemas import anthropic as an

DEFAULT_MAX_TOKENS = 4096
"""`max_tokens` sent when the caller sets none."""
ANTHROPIC_VERSION = "2023-06-01"

_encode = msgspec.json.Encoder().encode

# -- cache marks ---------------------------------------------------------------


def _mark(control: an.CacheControl | None) -> ir.CacheMark:
    if control is None:
        return ""
    return "1h" if control.ttl == "1h" else "5m"


def _control(mark: ir.CacheMark) -> an.CacheControl | None:
    if not mark:
        return None
    return an.CacheControl("ephemeral", ttl="1h" if mark == "1h" else None)


# -- reading requests ------------------------------------------------------------


def _block_type(block: msgspec.Struct) -> str:
    return str(type(block).__struct_config__.tag)


def _image(block: an.ImageBlock, param: str) -> ir.Image:
    source = block.source
    cache = _mark(block.cache_control)
    if isinstance(source, an.Base64Source):
        return ir.Image(media_type=source.media_type, data=source.data, cache=cache)
    if isinstance(source, an.URLSource):
        return ir.Image(url=source.url, cache=cache)
    raise TranslationError("Images given by file id cannot be translated.", param=f"{param}.source")


def _tool_result(block: an.ToolResultBlock, param: str) -> ir.ToolResult:
    content: list[ir.Text | ir.Image] = []
    if isinstance(block.content, str):
        content = [ir.Text(text=block.content)] if block.content else []
    else:
        for k, part in enumerate(block.content or []):
            if isinstance(part, an.TextBlock):
                content.append(ir.Text(text=part.text))
            elif isinstance(part, an.ImageBlock):
                content.append(_image(part, f"{param}.content[{k}]"))
            else:
                kind = _block_type(part)
                raise TranslationError(f"{kind} blocks cannot be translated.", param=f"{param}.content[{k}]")
    return ir.ToolResult(
        call_id=block.tool_use_id,
        content=content,
        is_error=bool(block.is_error),
        cache=_mark(block.cache_control),
    )


def _part(block: an.ContentBlock, role: str, param: str) -> ir.Part:
    if isinstance(block, an.TextBlock):
        return ir.Text(text=block.text, cache=_mark(block.cache_control))
    if isinstance(block, an.ImageBlock) and role == "user":
        return _image(block, param)
    if isinstance(block, an.ToolResultBlock) and role == "user":
        return _tool_result(block, param)
    if isinstance(block, an.ToolUseBlock) and role == "assistant":
        return ir.ToolCall(id=block.id, name=block.name, arguments=block.input)
    if isinstance(block, an.ThinkingBlock) and role == "assistant":
        return ir.Thinking(text=block.thinking, signature=block.signature)
    if isinstance(block, an.RedactedThinkingBlock) and role == "assistant":
        return ir.RedactedThinking(data=block.data)
    turn = "a user" if role == "user" else "an assistant"
    raise TranslationError(f"{_block_type(block)} blocks cannot be translated in {turn} turn.", param)


def _message(message: an.Message, where: str) -> ir.Message:
    if isinstance(message.content, str):
        return ir.Message(role=message.role, parts=[ir.Text(text=message.content)])
    parts = [_part(block, message.role, f"{where}.content[{j}]") for j, block in enumerate(message.content)]
    return ir.Message(role=message.role, parts=parts)


def _system(system: str | list[an.TextBlock] | None) -> list[ir.Text]:
    if system is None:
        return []
    if isinstance(system, str):
        return [ir.Text(text=system)] if system else []
    return [ir.Text(text=block.text, cache=_mark(block.cache_control)) for block in system if block.text]


def _tool(tool: an.Tool, param: str) -> ir.Tool:
    if tool.type not in (None, "custom"):
        raise TranslationError(f"Server tool {tool.type!r} cannot be translated.", param=param)
    out = ir.Tool(name=tool.name, description=tool.description or "", cache=_mark(tool.cache_control))
    if tool.input_schema is not None:  # else the IR's empty object schema
        out.parameters = tool.input_schema
    return out


def _tool_choice(choice: an.ToolChoice | None) -> ir.ToolChoice | None:
    if choice is None:
        return None
    if isinstance(choice, an.ToolChoiceNone):
        return ir.ToolChoice(mode="none")
    parallel = False if choice.disable_parallel_tool_use else None
    if isinstance(choice, an.ToolChoiceAny):
        return ir.ToolChoice(mode="required", parallel=parallel)
    if isinstance(choice, an.ToolChoiceTool):
        return ir.ToolChoice(mode="tool", name=choice.name, parallel=parallel)
    return ir.ToolChoice(mode="auto", parallel=parallel)


def _reasoning(config: an.ThinkingConfig | None) -> ir.Reasoning | None:
    if config is None:
        return None
    if config.type == "disabled":
        return ir.Reasoning(enabled=False)
    return ir.Reasoning(budget_tokens=config.budget_tokens)


def read_request(body: bytes) -> ir.Request:
    req = decode_client_body(body, an.MessagesRequest)
    if req.mcp_servers is not None:
        raise TranslationError("MCP servers cannot be translated.", param="mcp_servers")
    tools = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(req.tools or [])]
    return ir.Request(
        model=req.model,
        system=_system(req.system),
        messages=[_message(message, f"messages[{i}]") for i, message in enumerate(req.messages)],
        tools=tools,
        tool_choice=_tool_choice(req.tool_choice) if tools else None,
        max_tokens=req.max_tokens,
        temperature=req.temperature,
        top_p=req.top_p,
        top_k=req.top_k,
        stop=req.stop_sequences or [],
        reasoning=_reasoning(req.thinking),
        user=req.metadata.user_id or "" if req.metadata else "",
        stream=bool(req.stream),
    )


# -- writing requests ------------------------------------------------------------


def _refuse_inexpressible(request: ir.Request) -> None:
    fmt = request.response_format
    checks = [
        (fmt is not None and fmt.kind != "text", "response_format", "Only text responses are supported."),
        (bool(request.presence_penalty), "presence_penalty", "Anthropic models have no presence_penalty."),
        (bool(request.frequency_penalty), "frequency_penalty", "Anthropic models have no frequency_penalty."),
        (
            request.temperature is not None and request.temperature > 1,
            "temperature",
            "temperature must be between 0 and 1 for Anthropic models.",
        ),
    ]
    for failed, param, message in checks:
        if failed:
            raise TranslationError(message, param=param)


def _image_block(image: ir.Image) -> an.ImageBlock:
    source: an.ImageSource
    if image.url:
        source = an.URLSource(url=image.url)
    else:
        source = an.Base64Source(media_type=image.media_type, data=image.data)
    return an.ImageBlock(source=source, cache_control=_control(image.cache))


def _result_block(result: ir.ToolResult) -> an.ToolResultBlock:
    content: str | list[an.ToolResultPart] | None = None
    parts = result.content
    if len(parts) == 1 and isinstance(parts[0], ir.Text):
        content = parts[0].text or None
    elif parts:
        content = [
            an.TextBlock(part.text) if isinstance(part, ir.Text) else _image_block(part)
            for part in parts
            if not isinstance(part, ir.Text) or part.text
        ]
    return an.ToolResultBlock(
        tool_use_id=result.call_id,
        content=content,
        is_error=True if result.is_error else None,
        cache_control=_control(result.cache),
    )


def _block(part: ir.Part) -> an.ContentBlock | None:
    """The block for `part`, or None for what Anthropic refuses and needs no answer (empty text,
    unsigned thinking)."""
    if isinstance(part, ir.Text):
        return an.TextBlock(part.text, cache_control=_control(part.cache)) if part.text else None
    if isinstance(part, ir.Image):
        return _image_block(part)
    if isinstance(part, ir.ToolCall):
        return an.ToolUseBlock(id=part.id, name=part.name, input=part.arguments)
    if isinstance(part, ir.ToolResult):
        return _result_block(part)
    if isinstance(part, ir.Thinking):
        return an.ThinkingBlock(part.text, part.signature) if part.signature else None
    return an.RedactedThinkingBlock(part.data)


def _messages(messages: list[ir.Message]) -> list[an.Message]:
    turns: list[tuple[ir.Role, list[an.ContentBlock]]] = []
    for message in messages:
        blocks = [block for block in map(_block, message.parts) if block is not None]
        if not blocks:
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((message.role, blocks))
    for role, blocks in turns:
        if role == "user":  # Anthropic wants a turn's tool results before anything else in it
            blocks.sort(key=lambda block: not isinstance(block, an.ToolResultBlock))
    return [an.Message(role=role, content=blocks) for role, blocks in turns]


def _tool_choice_out(choice: ir.ToolChoice | None) -> an.ToolChoice | None:
    if choice is None:
        return None
    disable = True if choice.parallel is False else None
    if choice.mode == "none":
        return an.ToolChoiceNone()
    if choice.mode == "required":
        return an.ToolChoiceAny(disable_parallel_tool_use=disable)
    if choice.mode == "tool":
        return an.ToolChoiceTool(name=choice.name, disable_parallel_tool_use=disable)
    return an.ToolChoiceAuto(disable_parallel_tool_use=disable)


def _thinking(request: ir.Request) -> tuple[an.ThinkingConfig | None, int]:
    """The thinking config and the max_tokens to send, which Anthropic wants above the budget."""
    max_tokens = request.max_tokens
    reasoning = request.reasoning
    if reasoning is None or not reasoning.enabled:
        return None, max_tokens or DEFAULT_MAX_TOKENS
    budget = reasoning.budget_tokens
    if budget is None:
        budget = ir.budget_for_effort(reasoning.effort or "medium")
    if max_tokens is None:
        return an.ThinkingConfig(type="enabled", budget_tokens=budget), budget + DEFAULT_MAX_TOKENS
    budget = min(budget, max_tokens - 1)
    if budget < 1024:
        message = "Anthropic models think with a budget of at least 1024 tokens, below max_tokens."
        raise TranslationError(message, param="max_tokens")
    return an.ThinkingConfig(type="enabled", budget_tokens=budget), max_tokens


def write_request(request: ir.Request) -> TranslatedRequest:
    _refuse_inexpressible(request)
    system = request.system
    thinking, max_tokens = _thinking(request)
    system_out: str | list[an.TextBlock] | None = None
    if len(system) == 1 and not system[0].cache:
        system_out = system[0].text
    elif system:
        system_out = [an.TextBlock(text.text, cache_control=_control(text.cache)) for text in system]
    tools = [
        an.Tool(
            name=tool.name,
            description=tool.description or None,
            input_schema=tool.parameters,
            cache_control=_control(tool.cache),
        )
        for tool in request.tools
    ]
    out = an.MessagesRequest(
        model=request.model,
        messages=_messages(request.messages),
        max_tokens=max_tokens,
        system=system_out,
        stop_sequences=request.stop or None,
        stream=True if request.stream else None,
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        tools=tools or None,
        tool_choice=_tool_choice_out(request.tool_choice) if tools else None,
        metadata=an.Metadata(user_id=request.user) if request.user else None,
        thinking=thinking,
    )
    return TranslatedRequest(
        body=_encode(out),
        path="/v1/messages",
        headers={"anthropic-version": ANTHROPIC_VERSION},
        stream=request.stream,
        model=request.model,
    )
