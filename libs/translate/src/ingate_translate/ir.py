"""The internal representation every translation passes through.

Four API shapes translate each to each (OpenAI chat, OpenAI Responses, Anthropic messages,
Gemini generateContent, and Ollama's native chat for its clients): twenty pairs. One module
per pair would repeat each shape's knowledge in every pair it takes part in, so each shape
has one codec that reads its requests, answers, errors and stream events into these values
and writes them back out; a pair is two codecs (`hub.py`). The values follow Anthropic's
messages model, the richest of the shapes: ordered parts per turn, thinking with its
signature, tool calls and results as parts, streams as part start / delta / stop.

Every value is a msgspec Struct, so stream state that holds them can travel as bytes.
"""

from typing import Any, Literal

import msgspec
from msgspec import Struct

# -- content parts -----------------------------------------------------------

# "" no cache breakpoint; "5m" or "1h": Anthropic's ephemeral cache_control with that ttl
# (other shapes cache implicitly and read nothing from it).
CacheMark = Literal["", "5m", "1h"]


class Text(Struct, tag="text", kw_only=True, omit_defaults=True):
    text: str
    cache: CacheMark = ""


class Image(Struct, tag="image", kw_only=True, omit_defaults=True):
    """Either inline base64 `data` with its `media_type`, or a `url` (http(s), or a
    provider file URI such as Gemini's fileData)."""

    media_type: str = ""
    data: str = ""
    url: str = ""
    cache: CacheMark = ""


class ToolCall(Struct, tag="tool_call", kw_only=True, omit_defaults=True):
    id: str
    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    # Gemini attaches a thought signature to the function call part that follows its thinking.
    signature: str = ""


class ToolResult(Struct, tag="tool_result", kw_only=True, omit_defaults=True):
    call_id: str
    # The called tool's name: Gemini's functionResponse needs it, OpenAI's tool message has
    # only the id (readers fill it in from the call earlier in the conversation).
    name: str = ""
    content: list["Text | Image"] = msgspec.field(default_factory=list)
    is_error: bool = False
    cache: CacheMark = ""


class Thinking(Struct, tag="thinking", kw_only=True, omit_defaults=True):
    """Reasoning the model showed, and the provider's `signature` over it, which must go back
    unchanged with the next turn (Anthropic `signature`, Responses `encrypted_content`,
    Gemini `thoughtSignature`)."""

    text: str = ""
    signature: str = ""


class RedactedThinking(Struct, tag="redacted_thinking", kw_only=True):
    """Anthropic's encrypted reasoning: opaque data to return as it came."""

    data: str


Part = Text | Image | ToolCall | ToolResult | Thinking | RedactedThinking

Role = Literal["user", "assistant"]


class Message(Struct, kw_only=True):
    role: Role
    parts: list[Part] = msgspec.field(default_factory=list)


# -- request -----------------------------------------------------------------


class Tool(Struct, kw_only=True, omit_defaults=True):
    name: str
    description: str = ""
    parameters: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object", "properties": {}})
    cache: CacheMark = ""


class ToolChoice(Struct, kw_only=True, omit_defaults=True):
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str = ""  # mode "tool": the one tool to call
    parallel: bool | None = None  # None: the provider's default


class ResponseFormat(Struct, kw_only=True, omit_defaults=True):
    kind: Literal["text", "json_object", "json_schema"] = "text"
    name: str = ""
    schema: dict[str, Any] | None = None
    strict: bool | None = None


Effort = Literal["minimal", "low", "medium", "high"]


class Reasoning(Struct, kw_only=True, omit_defaults=True):
    """Thinking asked for: a token budget (Anthropic, Gemini) or an effort (OpenAI); readers set
    what their shape says, writers convert with `budget_for_effort` / `effort_for_budget`."""

    enabled: bool = True
    budget_tokens: int | None = None
    effort: Effort | None = None
    include_thoughts: bool = True  # Gemini: return thought summaries


class Request(Struct, kw_only=True, omit_defaults=True):
    model: str
    system: list[Text] = msgspec.field(default_factory=list)
    messages: list[Message] = msgspec.field(default_factory=list)
    tools: list[Tool] = msgspec.field(default_factory=list)
    tool_choice: ToolChoice | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = msgspec.field(default_factory=list)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None
    reasoning: Reasoning | None = None
    user: str = ""  # the end user the caller names (OpenAI `user`, Anthropic metadata.user_id)
    stream: bool = False
    include_usage: bool = False  # an OpenAI chat caller asked for the usage chunk


class Hints(Struct, kw_only=True, omit_defaults=True):
    """What a request says outside its body: Gemini names the model and streaming in the path."""

    model: str = ""
    stream: bool | None = None


# -- answer ------------------------------------------------------------------

StopReason = Literal["end", "length", "tool_calls", "stop_sequence", "content_filter", "pause"]


class Usage(Struct, kw_only=True, omit_defaults=True):
    """As providers bill: `input_tokens` includes cache reads and writes, `output_tokens`
    includes reasoning (Anthropic's input excludes its cache: its codec adds them)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


class Response(Struct, kw_only=True, omit_defaults=True):
    id: str
    model: str
    parts: list[Part] = msgspec.field(default_factory=list)
    stop: StopReason = "end"
    stop_sequence: str | None = None
    usage: Usage = msgspec.field(default_factory=Usage)
    created: int = 0  # unix seconds


ErrorKind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "too_large",
    "rate_limit",
    "overloaded",
    "timeout",
    "server",
    "billing",
]


class Error(Struct, kw_only=True):
    """An error in no shape's words: the HTTP status and a kind every shape maps."""

    status: int
    kind: ErrorKind
    message: str
    param: str | None = None
    # The provider's own error type or code ("overloaded_error"), passed on where the caller's
    # envelope has room for it (OpenAI's `code`).
    code: str | None = None


class Context(Struct, kw_only=True, omit_defaults=True):
    """What the answer side of a pair needs from the request (travels as the pair's context)."""

    model: str  # the model the caller named, echoed in its answer
    created: int = 0
    stream: bool = False
    include_usage: bool = False


# -- stream events -----------------------------------------------------------


class Start(Struct, tag="start", kw_only=True, omit_defaults=True):
    id: str
    model: str
    usage: Usage | None = None  # what is known at the start (Anthropic's input count)


class PartStart(Struct, tag="part_start", kw_only=True):
    """A part begins: Text(""), Thinking(), RedactedThinking(data) or ToolCall(id, name, {})."""

    index: int
    part: Part


class PartDelta(Struct, tag="part_delta", kw_only=True, omit_defaults=True):
    index: int
    text: str = ""  # Text
    arguments: str = ""  # ToolCall: a piece of the arguments' JSON text
    thinking: str = ""  # Thinking
    signature: str = ""  # Thinking (or a ToolCall's Gemini signature)


class PartStop(Struct, tag="part_stop", kw_only=True):
    index: int


class Finish(Struct, tag="finish", kw_only=True, omit_defaults=True):
    stop: StopReason = "end"
    stop_sequence: str | None = None
    usage: Usage | None = None


class Failure(Struct, tag="failure", kw_only=True):
    """The provider reported an error inside the stream."""

    error: Error


Event = Start | PartStart | PartDelta | PartStop | Finish | Failure

# -- thinking effort ⇄ budget --------------------------------------------------

_EFFORT_BUDGETS: dict[Effort, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}


def effort_for_budget(budget_tokens: int) -> Effort:
    """A thinking budget as an OpenAI reasoning effort: ≤ 2k low, ≤ 8k medium, more high."""
    if budget_tokens <= 2048:
        return "low"
    return "medium" if budget_tokens <= 8192 else "high"


def budget_for_effort(effort: Effort) -> int:
    """An effort as a thinking budget, the largest that maps back to the same effort."""
    return _EFFORT_BUDGETS[effort]


def tool_names(messages: list[Message]) -> dict[str, str]:
    """Each tool call's name by its id, over a conversation."""
    return {
        part.id: part.name
        for message in messages
        if message.role == "assistant"
        for part in message.parts
        if isinstance(part, ToolCall)
    }


def name_tool_results(messages: list[Message]) -> None:
    """Fill in each ToolResult's name from the call it answers, where the reader had only the id."""
    names = tool_names(messages)
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolResult) and not part.name:
                part.name = names.get(part.call_id, "")
