"""Ollama's native API wire format: /api/chat and /api/generate requests, answers, lines, errors.

Requests decode loosely (unknown fields are ignored, so newer Ollama fields never break a
translation); fields that must be refused are declared, loosely typed, so their presence
can be detected. `options` stays a mapping: each option is either mapped, ignored as a
runtime setting, or refused by name (`shapes/ollama_request.py`).

Answers mirror what Ollama sends: every line has `model`, `created_at` and `done`; the final
line adds `done_reason`, the durations and the counts, which earlier lines leave out (UNSET).
"""

from typing import Any

from msgspec import UNSET, Struct, UnsetType, field

# -- requests ----------------------------------------------------------------


class ToolCallFunction(Struct, kw_only=True):
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)  # an object, not OpenAI's JSON text


class ToolCall(Struct, kw_only=True):
    function: ToolCallFunction


class Message(Struct, kw_only=True):
    role: str
    content: str | None = None
    thinking: str | None = None
    images: list[str] | None = None  # base64, without a media type
    tool_calls: list[ToolCall] | None = None
    tool_name: str | None = None  # role "tool": which tool's result this is


class FunctionSpec(Struct, kw_only=True):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(Struct, kw_only=True):
    type: str = "function"
    function: FunctionSpec


Format = str | dict[str, Any]  # "json", "" or a JSON schema
Think = bool | str  # or "low" / "medium" / "high"


class ChatRequest(Struct, kw_only=True):
    model: str
    messages: list[Message] = field(default_factory=list)
    tools: list[Tool] | None = None
    format: Format | None = None
    options: dict[str, Any] | None = None
    stream: bool | None = None  # None: Ollama streams
    think: Think | None = None
    keep_alive: object = None  # how long the model stays loaded: nothing to translate
    # Declared so that they can be refused.
    logprobs: bool | None = None
    top_logprobs: int | None = None


class GenerateRequest(Struct, kw_only=True):
    model: str
    prompt: str | None = None
    system: str | None = None
    images: list[str] | None = None
    format: Format | None = None
    options: dict[str, Any] | None = None
    stream: bool | None = None
    think: Think | None = None
    keep_alive: object = None
    # Declared so that they can be refused.
    suffix: str | None = None
    template: str | None = None
    context: list[int] | None = None
    raw: bool | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    width: int | None = None
    height: int | None = None
    steps: int | None = None


class Options(Struct, kw_only=True):
    """The options with a counterpart in every shape, typed (converted from `options`)."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    num_predict: int | None = None  # -1 (no limit) and -2 (fill the context) set no maximum
    stop: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


# -- answers and stream lines ------------------------------------------------


class OutFunction(Struct):
    name: str
    arguments: dict[str, Any]


class OutToolCall(Struct):
    function: OutFunction


class OutMessage(Struct, kw_only=True):
    role: str = "assistant"
    content: str = ""
    thinking: str | UnsetType = UNSET
    tool_calls: list[OutToolCall] | UnsetType = UNSET


class Line(Struct, kw_only=True):
    """What every answer and stream line has; only the final one (`done`) the rest, which
    another provider's answer has no durations for (0)."""

    model: str
    created_at: str
    done: bool
    done_reason: str | UnsetType = UNSET
    total_duration: int | UnsetType = UNSET
    load_duration: int | UnsetType = UNSET
    prompt_eval_count: int | UnsetType = UNSET
    prompt_eval_duration: int | UnsetType = UNSET
    eval_count: int | UnsetType = UNSET
    eval_duration: int | UnsetType = UNSET


class ChatLine(Line, kw_only=True):
    """An /api/chat answer, or one line of its stream."""

    message: OutMessage


class GenerateLine(Line, kw_only=True):
    """An /api/generate answer, or one line of its stream."""

    response: str = ""
    thinking: str | UnsetType = UNSET


class ErrorBody(Struct):
    """Ollama's errors are one message, in answers and as a stream's last line alike."""

    error: str
