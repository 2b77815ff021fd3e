"""Ollama /api/chat and /api/generate requests read into the IR.

- leading `system` messages, generate's `system` → `system`; a system message after the
  conversation began is refused (the IR holds one system prompt).
- `images` (base64 without a media type) → Image parts before the text; the media type is
  read from the bytes (PNG, JPEG, GIF, WebP; anything else is refused).
- assistant `tool_calls` `{function {name, arguments}}` → ToolCall parts. Ollama's calls have
  no id: ids `call_<n>` are numbered through the conversation, and each role "tool" message
  answers the earlier unanswered call named by its `tool_name`, else the next one in order.
- assistant `thinking` → a Thinking part without signature (Ollama has none to carry back).
- `tools` (OpenAI-style function tools) → Tool; Ollama has no tool_choice.
- `format` "json" / a JSON schema → ResponseFormat json_object / json_schema; "" is text.
- `options`: temperature, top_p, top_k, stop, seed, presence_penalty, frequency_penalty →
  the same fields, num_predict → max_tokens (negative: no maximum). Runtime settings
  (num_ctx, num_gpu, num_thread, …) are ignored: they say how Ollama loads a model, not
  what it answers. Every other option (repeat_penalty, mirostat, min_p, …) changes the
  sampling and is refused, named `options.<name>`.
- `think` true / "low" / "medium" / "high" → Reasoning (true: effort medium, the providers'
  default); false → Reasoning disabled.
- `stream` absent means true, as Ollama streams by default; usage is always asked for, as
  Ollama's final line always counts.
- `keep_alive` is ignored; `logprobs`, `top_logprobs`, and generate's `suffix`, `template`,
  `raw`, `context` (Ollama's state from an earlier answer) and image generation are refused.

An empty conversation or prompt is how Ollama clients load a model: there is nothing to
ask another provider, so it is refused too.
"""

import base64
import binascii
from typing import Any, Final, get_args

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.convert import decode_client_body
from ingate_translate.schemas import ollama as ol

# Options that say how Ollama runs a model (memory, threads, context size), not what it answers.
_RUNTIME_OPTIONS: Final = frozenset(
    {
        "num_ctx",
        "num_batch",
        "num_gpu",
        "main_gpu",
        "low_vram",
        "numa",
        "num_thread",
        "num_keep",
        "use_mmap",
        "use_mlock",
        "f16_kv",
        "vocab_only",
        "logits_all",
        "embedding_only",
    }
)
_MAPPED_OPTIONS: Final = frozenset(ol.Options.__struct_fields__)
_EFFORTS: Final = frozenset(get_args(ir.Effort)) - {"minimal"}
# Magic bytes of the image types every shape takes; Ollama sends images without a media type.
_IMAGE_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def read_chat(body: bytes) -> ir.Request:
    request = decode_client_body(body, ol.ChatRequest)
    _refuse_logprobs(request.logprobs, request.top_logprobs)
    if not request.messages:
        raise TranslationError(
            "A chat without messages (Ollama's way to load a model) cannot be translated.", "messages"
        )
    system, messages = _conversation(request.messages)
    ir_request = _base(request.model, request.format, request.options, request.think, request.stream)
    ir_request.system = system
    ir_request.messages = messages
    ir_request.tools = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(request.tools or ())]
    return ir_request


def read_generate(body: bytes) -> ir.Request:
    request = decode_client_body(body, ol.GenerateRequest)
    _refuse_logprobs(request.logprobs, request.top_logprobs)
    _refuse_generate_only(request)
    if not request.prompt:
        raise TranslationError(
            "An empty prompt (Ollama's way to load a model) cannot be translated.", "prompt"
        )
    ir_request = _base(request.model, request.format, request.options, request.think, request.stream)
    if request.system:
        ir_request.system = [ir.Text(text=request.system)]
    parts: list[ir.Part] = [*_images(request.images, "images")]
    parts.append(ir.Text(text=request.prompt))
    ir_request.messages = [ir.Message(role="user", parts=parts)]
    return ir_request


def _base(
    model: str,
    fmt: ol.Format | None,
    options: dict[str, Any] | None,
    think: ol.Think | None,
    stream: bool | None,
) -> ir.Request:
    """What chat and generate requests share: model, format, options, think, stream."""
    streams = stream is not False
    request = ir.Request(model=model, stream=streams, include_usage=streams)
    request.response_format = _format(fmt)
    request.reasoning = _reasoning(think)
    _options(options or {}, request)
    return request


def _refuse(refused: tuple[tuple[object, str, str], ...]) -> None:
    """(value, parameter, what it is) of fields the IR has no room for: a set one is refused."""
    for value, param, what in refused:
        if value:
            raise TranslationError(f"{param} ({what}) cannot be translated.", param)


def _refuse_logprobs(logprobs: bool | None, top_logprobs: int | None) -> None:
    _refuse(
        (
            (logprobs, "logprobs", "the answer's log probabilities"),
            (top_logprobs, "top_logprobs", "the answer's log probabilities"),
        )
    )


def _refuse_generate_only(request: ol.GenerateRequest) -> None:
    """Generate's completion-model features, which chat-shaped providers have no counterpart for."""
    _refuse(
        (
            (request.suffix, "suffix", "fill-in-the-middle"),
            (request.template, "template", "Ollama's prompt template"),
            (request.raw, "raw", "an unformatted prompt"),
            (
                request.context,
                "context",
                "Ollama's state from an earlier answer; send the conversation to /api/chat",
            ),
            (request.width is not None, "width", "image generation"),
            (request.height is not None, "height", "image generation"),
            (request.steps is not None, "steps", "image generation"),
        )
    )


# -- conversation --------------------------------------------------------------


class _Calls:
    """Synthesized tool call ids: Ollama has none, so an assistant's calls are numbered through
    the conversation and the tool messages after them answer those calls."""

    def __init__(self) -> None:
        self.count = 0
        self.open: list[ir.ToolCall] = []  # the latest assistant calls not answered yet

    def add(self, call: ol.ToolCall) -> ir.ToolCall:
        self.count += 1
        function = call.function
        made = ir.ToolCall(id=f"call_{self.count}", name=function.name, arguments=function.arguments)
        self.open.append(made)
        return made

    def answer(self, name: str | None, param: str) -> ir.ToolCall:
        """The call a tool message answers: the first open one of its name, else the next open one."""
        for at, call in enumerate(self.open):
            if not name or call.name == name:
                return self.open.pop(at)
        if name:
            raise TranslationError(f"No earlier tool call of {name!r} is unanswered.", f"{param}.tool_name")
        raise TranslationError("A tool message must follow an assistant message's tool_calls.", param)


def _conversation(messages: list[ol.Message]) -> tuple[list[ir.Text], list[ir.Message]]:
    system: list[ir.Text] = []
    out: list[ir.Message] = []
    calls = _Calls()
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        role = message.role
        if role == "system":
            if out:
                raise TranslationError(
                    "System messages after the conversation began cannot be translated.", f"{param}.role"
                )
            system.append(ir.Text(text=message.content or ""))
        elif role == "user":
            parts: list[ir.Part] = [*_images(message.images, f"{param}.images")]
            if message.content:
                parts.append(ir.Text(text=message.content))
            out.append(ir.Message(role="user", parts=parts))
        elif role == "assistant":
            calls.open.clear()  # a new assistant turn: earlier calls can no longer be answered
            out.append(ir.Message(role="assistant", parts=_assistant_parts(message, calls, param)))
        elif role == "tool":
            call = calls.answer(message.tool_name, param)
            content: list[ir.Text | ir.Image] = [*_images(message.images, f"{param}.images")]
            content.append(ir.Text(text=message.content or ""))
            result = ir.ToolResult(call_id=call.id, name=call.name, content=content)
            if out and out[-1].role == "user" and _all_results(out[-1]):
                out[-1].parts.append(result)  # one turn answers all of an assistant's calls
            else:
                out.append(ir.Message(role="user", parts=[result]))
        else:
            raise TranslationError(
                f"Unknown message role {role!r}; Ollama's are system, user, assistant and tool.",
                f"{param}.role",
            )
    return system, out


def _assistant_parts(message: ol.Message, calls: _Calls, param: str) -> list[ir.Part]:
    if message.images:
        raise TranslationError("Images in assistant messages cannot be translated.", f"{param}.images")
    parts: list[ir.Part] = []
    if message.thinking:
        parts.append(ir.Thinking(text=message.thinking))
    if message.content:
        parts.append(ir.Text(text=message.content))
    parts.extend(calls.add(call) for call in message.tool_calls or ())
    return parts


def _all_results(message: ir.Message) -> bool:
    return bool(message.parts) and all(isinstance(part, ir.ToolResult) for part in message.parts)


def _images(images: list[str] | None, param: str) -> list[ir.Image]:
    return [_image(data, f"{param}[{i}]") for i, data in enumerate(images or ())]


def _image(data: str, param: str) -> ir.Image:
    try:
        head = base64.b64decode(data[:64], validate=True)
    except (binascii.Error, ValueError):
        raise TranslationError("Images must be base64-encoded image files.", param) from None
    for magic, media_type in _IMAGE_MAGIC:
        if head.startswith(magic):
            return ir.Image(media_type=media_type, data=data)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ir.Image(media_type="image/webp", data=data)
    raise TranslationError("Images must be PNG, JPEG, GIF or WebP files.", param)


def _tool(tool: ol.Tool, param: str) -> ir.Tool:
    if tool.type != "function":
        raise TranslationError(f"Tools of type {tool.type!r} cannot be translated.", f"{param}.type")
    spec = tool.function
    made = ir.Tool(name=spec.name, description=spec.description or "")
    if spec.parameters is not None:
        made.parameters = spec.parameters
    return made


# -- options, format, think ---------------------------------------------------


def _options(options: dict[str, Any], into: ir.Request) -> None:
    for name in options:
        if name not in _MAPPED_OPTIONS and name not in _RUNTIME_OPTIONS:
            raise TranslationError(
                f"Ollama option {name!r} has no counterpart at this provider.", f"options.{name}"
            )
    mapped = {name: value for name, value in options.items() if name in _MAPPED_OPTIONS}
    try:
        typed = msgspec.convert(mapped, ol.Options)
    except msgspec.ValidationError as exc:
        at = str(exc).rpartition("`$.")[2].rstrip("`")
        raise TranslationError(f"Invalid options: {exc}", f"options.{at}" if at else "options") from None
    into.temperature, into.top_p, into.top_k = typed.temperature, typed.top_p, typed.top_k
    if typed.num_predict is not None and typed.num_predict >= 0:
        into.max_tokens = typed.num_predict
    into.stop = list(typed.stop or ())
    into.seed = typed.seed
    into.presence_penalty, into.frequency_penalty = typed.presence_penalty, typed.frequency_penalty


def _format(fmt: ol.Format | None) -> ir.ResponseFormat | None:
    if fmt is None or fmt == "":
        return None
    if fmt == "json":
        return ir.ResponseFormat(kind="json_object")
    if isinstance(fmt, dict):
        return ir.ResponseFormat(kind="json_schema", name="response", schema=fmt)
    raise TranslationError('format must be "json" or a JSON schema.', "format")


def _reasoning(think: ol.Think | None) -> ir.Reasoning | None:
    if think is None:
        return None
    if think is False:
        return ir.Reasoning(enabled=False)
    if think is True:
        return ir.Reasoning(effort="medium")
    if think in _EFFORTS:
        return ir.Reasoning(effort=think)  # type: ignore[arg-type]  # checked against the Literal
    raise TranslationError('think must be true, false, "low", "medium" or "high".', "think")
