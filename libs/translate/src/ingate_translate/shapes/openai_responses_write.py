"""An IR request written as a Responses API request (the provider speaks only Responses).

See the table in `openai_responses` for what is mapped, refused and left out.
"""

import hashlib

import msgspec
from msgspec import UNSET

from ingate_translate import ir
from ingate_translate.base import TranslatedRequest, TranslationError
from ingate_translate.convert import compact_json
from ingate_translate.schemas import responses as rs
from ingate_translate.shapes.openai_chat_request import image_url
from ingate_translate.shapes.openai_responses_output import summary_text

PATH = "/responses"
ENCRYPTED_REASONING = "reasoning.encrypted_content"
_encode = msgspec.json.Encoder().encode


def _refuse_unsupported(request: ir.Request) -> None:
    if request.top_k is not None:
        raise TranslationError("The Responses API has no top_k.", param="top_k")
    if request.stop:
        raise TranslationError("The Responses API has no stop sequences.", param="stop")
    for name in ("presence_penalty", "frequency_penalty"):
        if getattr(request, name):
            raise TranslationError(f"The Responses API has no {name}.", param=name)


def _content(parts: list[ir.Text | ir.Image]) -> list[rs.ContentPart]:
    out: list[rs.ContentPart] = []
    for part in parts:
        if isinstance(part, ir.Text):
            out.append(rs.ContentPart(type="input_text", text=part.text))
        else:
            out.append(rs.ContentPart(type="input_image", image_url=image_url(part), detail="auto"))
    return out


def _reasoning_id(signature: str) -> str:
    """Reasoning input items need an id; the IR keeps none, so one is made from the signature."""
    return "rs_" + hashlib.sha256(signature.encode()).hexdigest()[:32]


class _Items:
    """IR turns → input items, in order: runs of text and images become one message item."""

    def __init__(self) -> None:
        self.items: list[rs.Item] = []
        self._pending: list[ir.Text | ir.Image] = []

    def flush(self, role: ir.Role) -> None:
        if not self._pending:
            return
        if role == "assistant":
            text = "".join(part.text for part in self._pending if isinstance(part, ir.Text))
            self.items.append(rs.Item(type="message", role="assistant", content=text))
        else:
            self.items.append(rs.Item(type="message", role="user", content=_content(self._pending)))
        self._pending = []

    def message(self, message: ir.Message, param: str) -> None:
        for index, part in enumerate(message.parts):
            if isinstance(part, ir.Text | ir.Image):
                if message.role == "assistant" and isinstance(part, ir.Image):
                    raise TranslationError("Assistant turns cannot hold images.", f"{param}.parts[{index}]")
                self._pending.append(part)
                continue
            self.flush(message.role)
            item = self._item(part)
            if item is not None:
                self.items.append(item)
        self.flush(message.role)

    @staticmethod
    def _item(part: ir.Part) -> rs.Item | None:
        if isinstance(part, ir.ToolCall):
            arguments = compact_json(part.arguments)
            return rs.Item(type="function_call", call_id=part.id, name=part.name, arguments=arguments)
        if isinstance(part, ir.ToolResult):
            # Responses has no error flag on a tool's output: the output's own words say so.
            texts = [item for item in part.content if isinstance(item, ir.Text)]
            output: str | list[rs.ContentPart]
            if len(texts) == len(part.content):
                output = "".join(item.text for item in texts)
            else:
                output = _content(part.content)
            return rs.Item(type="function_call_output", call_id=part.call_id, output=output)
        if isinstance(part, ir.Thinking) and part.signature:
            summary = [summary_text(part.text)] if part.text else []
            return rs.Item(
                type="reasoning",
                id=_reasoning_id(part.signature),
                summary=summary,
                encrypted_content=part.signature,
            )
        # Unsigned thinking cannot be verified, and Anthropic's redacted thinking is opaque to
        # any other provider: neither is sent (the model reasons afresh).
        return None


def _tool_choice(choice: ir.ToolChoice | None) -> rs.ToolChoice | msgspec.UnsetType:
    if choice is None:
        return UNSET
    if choice.mode == "tool":
        return rs.ToolChoiceObject(type="function", name=choice.name)
    return choice.mode


def _text_format(form: ir.ResponseFormat | None) -> rs.TextConfig | msgspec.UnsetType:
    if form is None or form.kind == "text":
        return UNSET
    if form.kind == "json_object":
        return rs.TextConfig(format=rs.TextFormat(type="json_object"))
    strict = form.strict if form.strict is not None else UNSET
    schema = form.schema if form.schema is not None else {"type": "object"}
    return rs.TextConfig(
        format=rs.TextFormat(type="json_schema", name=form.name or "response", schema=schema, strict=strict)
    )


def _reasoning(reasoning: ir.Reasoning | None) -> rs.ReasoningConfig | msgspec.UnsetType:
    if reasoning is None:
        return UNSET
    if not reasoning.enabled:
        return rs.ReasoningConfig(effort="none")
    effort = reasoning.effort
    if effort is None:
        effort = ir.effort_for_budget(reasoning.budget_tokens) if reasoning.budget_tokens else "medium"
    return rs.ReasoningConfig(effort=effort, summary="auto" if reasoning.include_thoughts else UNSET)


def write_request(request: ir.Request) -> TranslatedRequest:
    _refuse_unsupported(request)
    items = _Items()
    for index, message in enumerate(request.messages):
        items.message(message, f"messages[{index}]")
    tools = [
        rs.Tool(
            type="function",
            name=tool.name,
            description=tool.description or UNSET,
            parameters=tool.parameters,
            strict=False,
        )
        for tool in request.tools
    ]
    # A choice among no tools means nothing (and "required" would be refused).
    choice = request.tool_choice if tools else None
    parallel = choice.parallel if choice else None
    body = rs.Request(
        model=request.model,
        input=items.items,
        instructions="\n\n".join(part.text for part in request.system) if request.system else UNSET,
        tools=tools or UNSET,
        tool_choice=_tool_choice(choice),
        parallel_tool_calls=parallel if parallel is not None else UNSET,
        max_output_tokens=request.max_tokens if request.max_tokens is not None else UNSET,
        temperature=request.temperature if request.temperature is not None else UNSET,
        top_p=request.top_p if request.top_p is not None else UNSET,
        stream=True if request.stream else UNSET,
        reasoning=_reasoning(request.reasoning),
        text=_text_format(request.response_format),
        user=request.user or UNSET,
        # The gateway keeps no state: nothing is stored upstream, and the reasoning comes back
        # encrypted so that the next turn can carry it.
        store=False,
        include=[ENCRYPTED_REASONING] if request.reasoning and request.reasoning.enabled else UNSET,
    )
    return TranslatedRequest(body=_encode(body), path=PATH, stream=request.stream, model=request.model)
