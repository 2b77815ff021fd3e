"""A Responses API request read into the IR (the caller speaks Responses).

See the table in `openai_responses` for what is mapped, refused and ignored.
"""

from typing import Any, Literal, cast

from msgspec import UNSET, UnsetType

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.convert import decode_client_body, image_from_url, parse_arguments
from ingate_translate.schemas import responses as rs
from ingate_translate.shapes.openai_responses_output import attach_call_signature, reasoning_of

BUILT_IN_TOOLS = frozenset(
    {
        "web_search",
        "web_search_preview",
        "file_search",
        "computer",
        "computer_use_preview",
        "code_interpreter",
    }
    | {"mcp", "image_generation", "local_shell", "shell", "apply_patch", "custom"}
)
# "xhigh" is more than the IR's scale holds: the most it does.
_EFFORTS: dict[str, ir.Effort] = {
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
}
_STATE_PARAMS = ("previous_response_id", "conversation", "prompt")


def _refuse_untranslatable(request: rs.Request) -> None:
    """What a translated provider cannot do; above all what refers to state stored by OpenAI,
    since the gateway keeps none when it translates."""
    for name in _STATE_PARAMS:
        if getattr(request, name) not in (None, UNSET):
            raise TranslationError(
                f"`{name}` refers to state stored by OpenAI, which a translated provider does not have;"
                " send the whole conversation in `input` instead.",
                param=name,
            )
    if request.background:
        raise TranslationError("Background responses are not available through translation.", "background")
    if isinstance(request.max_tool_calls, int):
        raise TranslationError("`max_tool_calls` cannot be translated.", param="max_tool_calls")
    if request.top_logprobs:
        raise TranslationError("Log probabilities cannot be translated.", param="top_logprobs")


def _image(part: rs.ContentPart, param: str) -> ir.Image:
    if not isinstance(part.image_url, str):
        raise TranslationError("Images given by file id cannot be translated; send an image_url.", param)
    return image_from_url(part.image_url, param)


def _content(content: str | list[rs.ContentPart] | UnsetType | None, param: str) -> list[ir.Text | ir.Image]:
    """Message content or tool output: text and images (files are refused)."""
    if isinstance(content, str):
        return [ir.Text(text=content)] if content else []
    parts: list[ir.Text | ir.Image] = []
    for index, part in enumerate(content or []):
        where = f"{param}[{index}]"
        if part.type in ("input_text", "output_text", "text") and isinstance(part.text, str):
            if part.text:
                parts.append(ir.Text(text=part.text))
        elif part.type == "refusal" and isinstance(part.refusal, str):
            parts.append(ir.Text(text=part.refusal))
        elif part.type == "input_image":
            parts.append(_image(part, where))
        elif part.type == "input_file":
            raise TranslationError("File inputs cannot be translated.", param=where)
        else:
            raise TranslationError(f"Content part type {part.type!r} cannot be translated.", param=where)
    return parts


class _Conversation:
    """Input items in order, merged into alternating IR turns."""

    def __init__(self) -> None:
        self.system: list[ir.Text] = []
        self.messages: list[ir.Message] = []

    def add(self, role: ir.Role, parts: list[ir.Part]) -> None:
        if not parts:
            return
        if self.messages and self.messages[-1].role == role:
            self.messages[-1].parts.extend(parts)
        else:
            self.messages.append(ir.Message(role=role, parts=parts))

    def item(self, item: rs.Item, param: str) -> None:
        if item.type == "message":
            self.message(item, param)
        elif item.type == "function_call":
            arguments = parse_arguments(item.arguments if isinstance(item.arguments, str) else "")
            if arguments is None:
                raise TranslationError("Function call arguments must be a JSON object.", f"{param}.arguments")
            call_id, name = _required(item.call_id, f"{param}.call_id"), _required(item.name, f"{param}.name")
            self.add("assistant", [ir.ToolCall(id=call_id, name=name, arguments=arguments)])
        elif item.type == "function_call_output":
            call_id = _required(item.call_id, f"{param}.call_id")
            content = _content(
                item.output if not isinstance(item.output, UnsetType) else "", f"{param}.output"
            )
            self.add("user", [ir.ToolResult(call_id=call_id, content=content)])
        elif item.type == "reasoning":
            last = self.messages[-1] if self.messages else None
            if not attach_call_signature(last.parts if last and last.role == "assistant" else [], item):
                self.add("assistant", [reasoning_of(item)])
        elif item.type == "item_reference":
            raise TranslationError(
                "Item references point at items stored by OpenAI; send the item itself.", param=param
            )
        else:
            raise TranslationError(f"Input item type {item.type!r} cannot be translated.", param=param)

    def message(self, item: rs.Item, param: str) -> None:
        role = _required(item.role, f"{param}.role")
        parts = _content(item.content, f"{param}.content")
        if role in ("system", "developer"):
            if any(isinstance(part, ir.Image) for part in parts):
                raise TranslationError("System messages take text only.", param=f"{param}.content")
            self.system.extend(part for part in parts if isinstance(part, ir.Text))
        elif role in ("user", "assistant"):
            self.add(cast(ir.Role, role), list[ir.Part](parts))
        else:
            raise TranslationError(f"Unknown message role {role!r}.", param=f"{param}.role")


def _required(value: str | UnsetType, param: str) -> str:
    if not isinstance(value, str) or not value:
        raise TranslationError(f"`{param}` is required.", param=param)
    return value


def _tools(tools: list[rs.Tool] | UnsetType | None) -> list[ir.Tool]:
    out: list[ir.Tool] = []
    for index, tool in enumerate(tools or []):
        param = f"tools[{index}]"
        if tool.type != "function":
            kind = "Built-in tool" if tool.type in BUILT_IN_TOOLS else "Tool type"
            raise TranslationError(f"{kind} {tool.type!r} cannot be run by a translated provider.", param)
        name = _required(tool.name, f"{param}.name")
        description = tool.description if isinstance(tool.description, str) else ""
        parameters = tool.parameters if isinstance(tool.parameters, dict) else None
        if parameters is None:
            out.append(ir.Tool(name=name, description=description))
        else:
            out.append(ir.Tool(name=name, description=description, parameters=parameters))
    return out


def _tool_choice(request: rs.Request) -> ir.ToolChoice | None:
    choice, parallel = request.tool_choice, request.parallel_tool_calls
    parallel = parallel if isinstance(parallel, bool) else None
    if isinstance(choice, rs.ToolChoiceObject):
        if choice.type != "function" or not isinstance(choice.name, str):
            raise TranslationError("Only function tool_choice values can be translated.", param="tool_choice")
        return ir.ToolChoice(mode="tool", name=choice.name, parallel=parallel)
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise TranslationError(f"Unknown tool_choice {choice!r}.", param="tool_choice")
        mode = cast(Literal["auto", "none", "required"], choice)
        return ir.ToolChoice(mode=mode, parallel=parallel)
    return ir.ToolChoice(parallel=parallel) if parallel is not None else None


def _response_format(text: rs.TextConfig | UnsetType | None) -> ir.ResponseFormat | None:
    if not isinstance(text, rs.TextConfig) or not isinstance(text.format, rs.TextFormat):
        return None
    form = text.format
    if form.type == "text":
        return None
    if form.type == "json_object":
        return ir.ResponseFormat(kind="json_object")
    if form.type != "json_schema" or not isinstance(form.schema, dict):
        raise TranslationError(f"Text format {form.type!r} cannot be translated.", param="text.format")
    name = form.name if isinstance(form.name, str) else ""
    strict = form.strict if isinstance(form.strict, bool) else None
    return ir.ResponseFormat(kind="json_schema", name=name, schema=form.schema, strict=strict)


def _reasoning(config: rs.ReasoningConfig | UnsetType | None) -> ir.Reasoning | None:
    if not isinstance(config, rs.ReasoningConfig) or not isinstance(config.effort, str):
        return None
    if config.effort == "none":
        return ir.Reasoning(enabled=False)
    effort = _EFFORTS.get(config.effort)
    if effort is None:
        raise TranslationError(f"Unknown reasoning effort {config.effort!r}.", param="reasoning.effort")
    return ir.Reasoning(effort=effort)


def _optional(value: Any) -> Any:
    return None if isinstance(value, UnsetType) else value


def read_request(body: bytes) -> ir.Request:
    request = decode_client_body(body, rs.Request)
    _refuse_untranslatable(request)
    conversation = _Conversation()
    if isinstance(request.instructions, str) and request.instructions:
        conversation.system.append(ir.Text(text=request.instructions))
    if isinstance(request.input, str):
        conversation.add("user", [ir.Text(text=request.input)])
    else:
        for index, item in enumerate(request.input or []):
            conversation.item(item, f"input[{index}]")
    user = request.safety_identifier if isinstance(request.safety_identifier, str) else request.user
    return ir.Request(
        model=request.model,
        system=conversation.system,
        messages=conversation.messages,
        tools=_tools(request.tools),
        tool_choice=_tool_choice(request),
        max_tokens=_optional(request.max_output_tokens),
        temperature=_optional(request.temperature),
        top_p=_optional(request.top_p),
        response_format=_response_format(request.text),
        reasoning=_reasoning(request.reasoning),
        user=user if isinstance(user, str) else "",
        stream=bool(request.stream),
    )
