"""The "gemini-generate" shape: Gemini's generateContent, as a caller speaks it and as a
provider is sent it.

A Gemini request names its model and whether it streams in the path
(`/v1beta/models/{model}:generateContent` or `:streamGenerateContent?alt=sse`), so the
reader takes both from the hints, and the writer puts them in the path it returns.
Parts, thought signatures and call ids: `gemini_parts`; finish reasons, usage, errors
and schemas: `gemini_maps`; streams: `gemini_stream`.

| Gemini request field                                  | Handling                               |
|-------------------------------------------------------|----------------------------------------|
| `cachedContent`                                       | refused: a cache only Gemini holds     |
| `generationConfig.candidateCount` > 1                 | refused: one answer per request        |
| `responseModalities` other than TEXT, `speechConfig`  | refused: text answers only             |
| `responseLogprobs`, `logprobs`                        | refused: no log probabilities          |
| `responseMimeType` other than JSON or plain text      | refused                                |
| server tools (`googleSearch`, `codeExecution`, ...)   | refused: only Google runs them         |
| `allowedFunctionNames`, except one name with ANY      | refused                                |
| code execution and video parts, non-image media       | refused                                |
| `safetySettings`, `labels`; mode VALIDATED            | ignored: Google's own; read as AUTO    |

| IR (another caller's request) → Gemini                | Handling                               |
|-------------------------------------------------------|----------------------------------------|
| an http(s) image URL (other than a Gemini file)       | refused: Gemini does not fetch URLs    |
| cache marks, `user`, parallel tool calls turned off   | ignored: Gemini caches implicitly and  |
|                                                       | has no such controls                   |
| redacted thinking                                     | left out: another provider's secret    |
| tool parameters, JSON response schemas                | `parametersJsonSchema`,                |
|                                                       | `responseJsonSchema` (JSON Schema)     |
| an effort without a budget                            | `thinkingLevel` for gemini-3 models;   |
|                                                       | else the effort's `thinkingBudget`     |

Gemini's own `parameters` / `responseSchema` (an OpenAPI subset with upper-case types)
are read as JSON Schema. A tool result's text goes to Gemini as its `response` object
when it is one, else as `{"output": text}` (`{"error": text}` for errors), and reads back
the same way. Consecutive turns of one role go to Gemini as one turn, which is where it
wants all the function responses of a step.
"""

from typing import Final
from urllib.parse import quote

import msgspec

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import BackendFormatError, SseEvent, TranslatedRequest, TranslationError
from ingate_translate.convert import decode_client_body
from ingate_translate.schemas import gemini as gm
from ingate_translate.shapes import gemini_stream
from ingate_translate.shapes.gemini_maps import (
    error_body,
    error_from_gemini,
    finish_reason,
    json_schema,
    stop_reason,
    usage_from_gemini,
    usage_to_gemini,
)
from ingate_translate.shapes.gemini_parts import CallIds, read_parts, write_parts

_encode = msgspec.json.Encoder().encode
_decode_response = msgspec.json.Decoder(gm.GenerateContentResponse).decode
_SERVER_TOOLS: Final = tuple(name for name in gm.Tool.__struct_fields__ if name != "function_declarations")
_MODES: Final[dict[str, ir.ToolChoice]] = {
    "AUTO": ir.ToolChoice(mode="auto"),
    "VALIDATED": ir.ToolChoice(mode="auto"),
    "NONE": ir.ToolChoice(mode="none"),
    "ANY": ir.ToolChoice(mode="required"),
}
_EFFORTS: Final[dict[str, ir.Effort]] = {
    "MINIMAL": "minimal",
    "LOW": "low",
    "MEDIUM": "medium",
    "HIGH": "high",
}
_TEXT_MODALITIES: Final = frozenset({"TEXT"})
_LEVELLED: Final = ("gemini-3",)  # models that take a thinkingLevel


def _camel(name: str) -> str:
    return gm.Tool.__struct_encode_fields__[gm.Tool.__struct_fields__.index(name)]


def _decode_request(body: bytes) -> gm.GenerateContentRequest:
    try:
        renamed = gm.snake_to_camel(gm.GenerateContentRequest, msgspec.json.decode(body))
        try:
            return msgspec.convert(renamed, gm.GenerateContentRequest)
        except msgspec.ValidationError:  # decoded again only to name the field at fault
            return decode_client_body(_encode(renamed), gm.GenerateContentRequest)
    except msgspec.DecodeError as exc:
        raise TranslationError(f"The request body is not valid JSON: {exc}") from exc
    except (RecursionError, ValueError) as exc:
        raise TranslationError("The request body nests too deeply.") from exc


# -- request: Gemini → IR ------------------------------------------------------


def _system(content: gm.Content | None) -> list[ir.Text]:
    out: list[ir.Text] = []
    for number, part in enumerate(content.parts or [] if content else []):
        if part.text is None or part.thought:
            raise TranslationError(
                "A system instruction holds text only.", f"systemInstruction.parts[{number}]"
            )
        if part.text:
            out.append(ir.Text(text=part.text))
    return out


def _messages(contents: list[gm.Content]) -> list[ir.Message]:
    ids = CallIds()
    out: list[ir.Message] = []
    for number, content in enumerate(contents):
        if content.role not in (None, "user", "model", "function"):
            raise TranslationError(f"Unknown role {content.role!r}.", param=f"contents[{number}].role")
        parts = read_parts(content.parts or [], f"contents[{number}]", ids, caller=True)
        role: ir.Role = "assistant" if content.role == "model" else "user"
        misplaced = ir.ToolResult if role == "assistant" else ir.ToolCall
        if any(isinstance(part, misplaced) for part in parts):
            where = f"contents[{number}].parts"
            raise TranslationError(
                "Function calls come in model turns and their responses in user turns.", where
            )
        out.append(ir.Message(role=role, parts=parts))
    return out


def _tools(tools: list[gm.Tool]) -> list[ir.Tool]:
    out: list[ir.Tool] = []
    for number, tool in enumerate(tools):
        for name in _SERVER_TOOLS:
            if getattr(tool, name) is not None:
                param = f"tools[{number}].{_camel(name)}"
                raise TranslationError("Google's server tools cannot run at another provider.", param=param)
        for index, spec in enumerate(tool.function_declarations or []):
            where = f"tools[{number}].functionDeclarations[{index}]"
            schema = spec.parameters_json_schema
            if schema is None and spec.parameters is not None:
                schema = json_schema(spec.parameters, f"{where}.parameters")
            tool_ = ir.Tool(name=spec.name, description=spec.description or "")
            if schema is not None:
                tool_.parameters = schema
            out.append(tool_)
    return out


def _tool_choice(config: gm.ToolConfig | None) -> ir.ToolChoice | None:
    calling = config.function_calling_config if config else None
    if calling is None:
        return None
    mode = (calling.mode or "AUTO").upper()
    if mode not in _MODES:
        raise TranslationError(f"Unknown mode {calling.mode!r}.", "toolConfig.functionCallingConfig.mode")
    names = calling.allowed_function_names or []
    if names:
        if mode != "ANY" or len(names) != 1:
            param = "toolConfig.functionCallingConfig.allowedFunctionNames"
            raise TranslationError("Only one allowed function name, with mode ANY, can be translated.", param)
        return ir.ToolChoice(mode="tool", name=names[0])
    return msgspec.structs.replace(_MODES[mode])


def _reasoning(config: gm.ThinkingConfig | None) -> ir.Reasoning | None:
    if config is None:
        return None
    shown = bool(config.include_thoughts)
    if config.thinking_budget == 0:
        return ir.Reasoning(enabled=False, include_thoughts=shown)
    effort: ir.Effort | None = None
    if config.thinking_level is not None:
        effort = _EFFORTS.get(config.thinking_level.upper())
        if effort is None:
            param = "generationConfig.thinkingConfig.thinkingLevel"
            raise TranslationError(f"Unknown thinking level {config.thinking_level!r}.", param)
    budget = config.thinking_budget if config.thinking_budget and config.thinking_budget > 0 else None
    return ir.Reasoning(budget_tokens=budget, effort=effort, include_thoughts=shown)


def _response_format(config: gm.GenerationConfig) -> ir.ResponseFormat | None:
    schema = config.response_json_schema
    if schema is None and config.response_schema is not None:
        schema = json_schema(config.response_schema, "generationConfig.responseSchema")
    mime = (config.response_mime_type or "").lower()
    if mime not in ("", "text/plain", "application/json"):
        raise TranslationError(
            f"Answers as {mime!r} cannot be translated.", "generationConfig.responseMimeType"
        )
    if schema is not None:
        return ir.ResponseFormat(kind="json_schema", name="response", schema=schema)
    return ir.ResponseFormat(kind="json_object") if mime == "application/json" else None


def _refuse_generation(config: gm.GenerationConfig) -> None:
    where = "generationConfig"
    if config.candidate_count is not None and config.candidate_count > 1:
        raise TranslationError("Only one candidate can be asked for.", f"{where}.candidateCount")
    if config.response_modalities and not {m.upper() for m in config.response_modalities} <= _TEXT_MODALITIES:
        raise TranslationError("Only text answers can be translated.", f"{where}.responseModalities")
    if config.speech_config is not None:
        raise TranslationError("Only text answers can be translated.", f"{where}.speechConfig")
    if config.response_logprobs or config.logprobs:
        raise TranslationError("Log probabilities cannot be translated.", f"{where}.responseLogprobs")
    if config.top_k is not None and config.top_k != int(config.top_k):
        raise TranslationError("topK must be a whole number.", f"{where}.topK")


def read_request(body: bytes, hints: ir.Hints) -> ir.Request:
    if not hints.model:
        raise TranslationError("The request path names no model.", param="model")
    wire = _decode_request(body)
    if wire.cached_content is not None:
        raise TranslationError("Gemini's cached content cannot be used elsewhere.", param="cachedContent")
    config = wire.generation_config or gm.GenerationConfig()
    _refuse_generation(config)
    return ir.Request(
        model=hints.model.removeprefix("models/"),
        system=_system(wire.system_instruction),
        messages=_messages(wire.contents or []),
        tools=_tools(wire.tools or []),
        tool_choice=_tool_choice(wire.tool_config),
        max_tokens=config.max_output_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=None if config.top_k is None else int(config.top_k),
        stop=list(config.stop_sequences or []),
        presence_penalty=config.presence_penalty,
        frequency_penalty=config.frequency_penalty,
        seed=config.seed,
        response_format=_response_format(config),
        reasoning=_reasoning(config.thinking_config),
        stream=bool(hints.stream),
    )


# -- request: IR → Gemini ------------------------------------------------------


def _thinking_config(reasoning: ir.Reasoning | None, model: str) -> gm.ThinkingConfig | None:
    if reasoning is None:
        return None
    if not reasoning.enabled:
        return gm.ThinkingConfig(thinking_budget=0)
    config = gm.ThinkingConfig(include_thoughts=reasoning.include_thoughts or None)
    if reasoning.budget_tokens is not None:
        config.thinking_budget = reasoning.budget_tokens
    elif reasoning.effort is not None and model.startswith(_LEVELLED):
        config.thinking_level = reasoning.effort.upper()
    elif reasoning.effort is not None:  # a budget is what every thinking model takes
        config.thinking_budget = ir.budget_for_effort(reasoning.effort)
    return config


def _function_calling(choice: ir.ToolChoice | None) -> gm.ToolConfig | None:
    if choice is None:
        return None
    mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}[choice.mode]
    names = [choice.name] if choice.mode == "tool" else None
    return gm.ToolConfig(
        function_calling_config=gm.FunctionCallingConfig(mode=mode, allowed_function_names=names)
    )


def _generation(request: ir.Request) -> gm.GenerationConfig | None:
    config = gm.GenerationConfig(
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        max_output_tokens=request.max_tokens,
        stop_sequences=request.stop or None,
        presence_penalty=request.presence_penalty,
        frequency_penalty=request.frequency_penalty,
        seed=request.seed,
        thinking_config=_thinking_config(request.reasoning, request.model),
    )
    answer = request.response_format
    if answer is not None and answer.kind != "text":
        config.response_mime_type = "application/json"
        config.response_json_schema = answer.schema if answer.kind == "json_schema" else None
    return config if config != gm.GenerationConfig() else None


def write_request(request: ir.Request) -> TranslatedRequest:
    contents: list[gm.Content] = []
    for number, message in enumerate(request.messages):
        parts = write_parts(message.parts, f"messages[{number}]")
        role = "model" if message.role == "assistant" else "user"
        if not parts:  # Gemini refuses a turn without parts
            continue
        if contents and contents[-1].role == role and contents[-1].parts is not None:
            # One turn per role: Gemini wants all of a step's function responses in one turn
            # (a chat caller sends one tool message each).
            contents[-1].parts.extend(parts)
        else:
            contents.append(gm.Content(role=role, parts=parts))
    system = [gm.Part(text=item.text) for item in request.system if item.text]
    declarations = [
        gm.FunctionDeclaration(
            name=tool.name, description=tool.description or None, parameters_json_schema=tool.parameters
        )
        for tool in request.tools
    ]
    wire = gm.GenerateContentRequest(
        contents=contents,
        system_instruction=gm.Content(parts=system) if system else None,
        tools=[gm.Tool(function_declarations=declarations)] if declarations else None,
        tool_config=_function_calling(request.tool_choice) if declarations else None,
        generation_config=_generation(request),
    )
    model = request.model.removeprefix("models/")
    method = "streamGenerateContent" if request.stream else "generateContent"
    return TranslatedRequest(
        body=_encode(wire),
        path=f"/v1beta/models/{quote(model, safe='')}:{method}",
        query="alt=sse" if request.stream else "",
        stream=request.stream,
        model=model,
    )


# -- answers -------------------------------------------------------------------


def read_response(body: bytes) -> ir.Response:
    try:
        wire = _decode_response(body)
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
        raise BackendFormatError(f"Gemini's answer is not a GenerateContentResponse: {exc}") from exc
    if wire.candidates is None and wire.prompt_feedback is None:
        raise BackendFormatError("Gemini's answer has no candidates and no prompt feedback.")
    candidate = wire.candidates[0] if wire.candidates else gm.Candidate(finish_reason="SAFETY")
    content = candidate.content.parts if candidate.content and candidate.content.parts else []
    try:
        parts = read_parts(content, "candidates[0].content", CallIds())
    except TranslationError as exc:
        raise BackendFormatError(f"Gemini's answer holds what cannot be translated: {exc.message}") from exc
    has_calls = any(isinstance(part, ir.ToolCall) for part in parts)
    return ir.Response(
        id=wire.response_id or "",
        model=wire.model_version or "",
        parts=parts,
        stop=stop_reason(candidate.finish_reason, has_tool_calls=has_calls),
        usage=usage_from_gemini(wire.usage_metadata) if wire.usage_metadata else ir.Usage(),
    )


def write_response(response: ir.Response, context: ir.Context) -> bytes:
    content = gm.Content(role="model", parts=write_parts(response.parts, "response", caller=True))
    candidate = gm.Candidate(content=content, finish_reason=finish_reason(response.stop), index=0)
    wire = gm.GenerateContentResponse(
        candidates=[candidate],
        usage_metadata=usage_to_gemini(response.usage),
        model_version=context.model,
        response_id=response.id or None,
    )
    return _encode(wire)


class GeminiCodec:
    """Gemini generateContent, both as the caller's shape and as the provider's."""

    shape: Shape = "gemini-generate"

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:
        return read_request(body, hints)

    def write_request(self, request: ir.Request) -> TranslatedRequest:
        return write_request(request)

    def read_response(self, body: bytes) -> ir.Response:
        return read_response(body)

    def write_response(self, response: ir.Response, context: ir.Context) -> bytes:
        return write_response(response, context)

    def read_error(self, status: int, body: bytes) -> ir.Error:
        return error_from_gemini(status, body)

    def write_error(self, error: ir.Error) -> tuple[int, bytes]:
        return error.status, error_body(error)

    def read_stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
        return gemini_stream.read_stream(state, events, final)

    def write_stream(
        self, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
    ) -> tuple[bytes, bytes]:
        return gemini_stream.write_stream(state, context, events, final)


__all__ = ["GeminiCodec"]
