"""What the mock reads from a Gemini request: its turns, tools, thinking and token count.

- The reply is planned as the other dialects plan theirs (``reply.plan_reply``): from the
  last user turn's text; a last user turn of ``functionResponse`` parts is acknowledged
  (``Tool result received: <response JSON>``); ``tools[].functionDeclarations`` offered
  (``toolConfig`` mode not ``NONE``) on a user turn get ``functionCall`` parts, the
  ``ANY`` mode's first allowed name forced.
- Thinking is on when ``generationConfig.thinkingConfig`` sets ``includeThoughts`` or a
  ``thinkingBudget`` above 0 (or a ``thinkingLevel``). The mock's thought is
  ``Thinking about: <the prompt's first words>``; its words are the ``thoughtsTokenCount``.
- Signatures: the first part after the thought carries a ``thoughtSignature``. A function
  call's signs the call itself, its name and its ``args`` as JSON with sorted keys, so a
  later request can be checked from its own content: a model turn whose ``functionCall``
  part carries a signature that does not verify against that call is refused
  (``signature_error``), which catches a gateway that drops, rewrites or misplaces either.
  A text part's signs its text, and is not checked (text may come back merged or split).
- Member names may be snake_case as well (proto names, as the SDK sends some).
- Tokens: one word is one token, over the system instruction and every part's text, call
  arguments and function responses (as JSON); an image (``inlineData`` or ``fileData``)
  counts 258, as Gemini counts an image.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

import msgspec

from ingate_mock import signatures
from ingate_mock.reply import Reply, ToolRequest, ToolSpec, plan_reply
from ingate_mock.text import count_texts

IMAGE_TOKENS = 258
_THOUGHT_WORDS = 8
_encode = msgspec.json.Encoder(order="sorted").encode


class FunctionCall(msgspec.Struct):
    name: str
    args: dict[str, Any] | None = None


class _FunctionResponse(msgspec.Struct):
    name: str = ""
    response: dict[str, Any] | None = None


class Part(msgspec.Struct, rename="camel"):
    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    inline_data: dict[str, Any] | None = None
    file_data: dict[str, Any] | None = None
    function_call: FunctionCall | None = None
    function_response: _FunctionResponse | None = None


class Content(msgspec.Struct):
    role: str | None = None
    parts: list[Part] = []


class _FunctionDeclaration(msgspec.Struct, rename="camel"):
    name: str
    parameters: dict[str, Any] | None = None  # Google's OpenAPI subset ("OBJECT", "STRING")
    parameters_json_schema: dict[str, Any] | None = None


class _Tool(msgspec.Struct, rename="camel"):
    function_declarations: list[_FunctionDeclaration] | None = None


class _FunctionCallingConfig(msgspec.Struct, rename="camel"):
    mode: str | None = None
    allowed_function_names: list[str] | None = None


class _ToolConfig(msgspec.Struct, rename="camel"):
    function_calling_config: _FunctionCallingConfig | None = None


class _ThinkingConfig(msgspec.Struct, rename="camel"):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: str | None = None


class _GenerationConfig(msgspec.Struct, rename="camel"):
    max_output_tokens: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_json_schema: dict[str, Any] | None = None
    thinking_config: _ThinkingConfig | None = None


class GenerateRequest(msgspec.Struct, rename="camel"):
    """The fields of a generateContent request the mock looks at."""

    contents: list[Content] = []
    system_instruction: Content | None = None
    tools: list[_Tool] | None = None
    tool_config: _ToolConfig | None = None
    generation_config: _GenerationConfig | None = None


class CountRequest(msgspec.Struct, rename="camel"):
    """countTokens takes the contents alone, or a whole generateContent request."""

    contents: list[Content] | None = None
    generate_content_request: GenerateRequest | None = None


# Values that are the caller's own data, whose member names are not the API's.
_FREE_FORM = frozenset(
    {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema"}
)


def decode_generate(body: bytes) -> GenerateRequest:
    return msgspec.convert(_camel_members(msgspec.json.decode(body)), GenerateRequest)


def decode_count(body: bytes) -> CountRequest:
    return msgspec.convert(_camel_members(msgspec.json.decode(body)), CountRequest)


def _camel_members(value: Any) -> Any:
    """`value` with the API's member names in lowerCamelCase. Google's JSON takes a field by
    its proto name too (``include_thoughts``), and the google-genai SDK sends some so."""
    if isinstance(value, list):
        return [_camel_members(item) for item in value]
    if not isinstance(value, dict):
        return value
    renamed: dict[str, Any] = {}
    for key, item in value.items():
        head, *rest = str(key).split("_")
        name = head + "".join(word[:1].upper() + word[1:] for word in rest)
        renamed[name] = item if name in _FREE_FORM else _camel_members(item)
    return renamed


def call_signature_text(name: str, args: dict[str, Any] | None) -> str:
    """What a function call's thoughtSignature signs: the call, as sent back unchanged."""
    return f"{name}:{_encode(args or {}).decode()}"


def bad_signature(contents: list[Content]) -> str | None:
    """The path of the first signed function call in a model turn whose signature does not
    verify, else None."""
    for i, content in enumerate(contents):
        if content.role != "model":
            continue
        for j, part in enumerate(content.parts):
            call, signature = part.function_call, part.thought_signature
            if call is None or signature is None:
                continue
            if not signatures.valid(call_signature_text(call.name, call.args), _standard_base64(signature)):
                return f"contents[{i}].parts[{j}].thought_signature"
    return None


def _standard_base64(signature: str) -> str:
    """`signature` in the standard alphabet: the SDK sends bytes back URL-safe encoded."""
    try:
        raw = base64.urlsafe_b64decode(signature.replace("+", "-").replace("/", "_") + "==")
    except (binascii.Error, ValueError):
        return signature
    return base64.b64encode(raw).decode()


def prompt_tokens(system: Content | None, contents: list[Content]) -> tuple[int, int, list[str]]:
    """(all prompt tokens, the images' share, the texts): what promptTokenCount counts."""
    texts: list[str] = []
    images = 0
    for part in _parts(system, contents):
        texts.extend(_texts(part))
        images += part.inline_data is not None or part.file_data is not None
    return count_texts(texts) + images * IMAGE_TOKENS, images * IMAGE_TOKENS, texts


def _parts(system: Content | None, contents: list[Content]) -> Iterator[Part]:
    if system is not None:
        yield from system.parts
    for content in contents:
        yield from content.parts


def _texts(part: Part) -> Iterator[str]:
    if part.text:
        yield part.text
    if part.function_call is not None:
        yield _encode(part.function_call.args or {}).decode()
    if part.function_response is not None:
        yield _encode(part.function_response.response or {}).decode()


def thinking(body: GenerateRequest) -> tuple[bool, bool]:
    """(whether the model thinks, whether it shows its thought) for this request."""
    config = body.generation_config.thinking_config if body.generation_config else None
    if config is None:
        return False, False
    thinks = bool(config.include_thoughts or (config.thinking_budget or 0) > 0 or config.thinking_level)
    return thinks, bool(config.include_thoughts)


def thought_for(prompt: str) -> str:
    return " ".join(["Thinking", "about:", *(prompt.split()[:_THOUGHT_WORDS] or ["the", "request"])])


def plan(body: GenerateRequest, model: str, reply_tokens: int) -> tuple[Reply, str]:
    """The planned answer, and the prompt it answers (what a thought is about)."""
    contents = body.contents
    last = contents[-1]
    responses = [p.function_response for p in last.parts if p.function_response is not None]
    tool_result: str | None = None
    if last.role != "model" and responses:
        tool_result = " ".join(_encode(r.response or {}).decode() for r in responses)
    prompt = ""
    for content in reversed(contents):
        said = [p.text for p in content.parts if p.text and not p.thought]
        if content.role != "model" and said:
            prompt = " ".join(said)
            break
    tools: ToolRequest | None = None
    if body.tools and last.role != "model" and tool_result is None:
        tools = _tool_request(body)
    config = body.generation_config or _GenerationConfig()
    schema: dict[str, Any] | None = None
    if config.response_mime_type == "application/json":
        schema = config.response_json_schema or json_schema(config.response_schema) or {"type": "object"}
    reply = plan_reply(
        model=model,
        prompt=prompt,
        reply_tokens=reply_tokens,
        max_tokens=config.max_output_tokens,
        tool_result=tool_result,
        tools=tools,
        json_schema=schema,
    )
    return reply, prompt or (tool_result or "")


def _tool_request(body: GenerateRequest) -> ToolRequest | None:
    calling = body.tool_config.function_calling_config if body.tool_config else None
    mode = ((calling.mode if calling else None) or "AUTO").upper()
    if mode == "NONE":
        return None
    specs = [
        ToolSpec(d.name, d.parameters_json_schema or json_schema(d.parameters))
        for tool in body.tools or ()
        for d in tool.function_declarations or ()
    ]
    if not specs:
        return None
    allowed = calling.allowed_function_names if calling else None
    forced = allowed[0] if mode == "ANY" and allowed else None
    return ToolRequest(specs, forced)


def json_schema(schema: Any) -> Any:
    """Google's OpenAPI schema subset as JSON Schema: its type names are upper case."""
    if isinstance(schema, dict):
        return {
            key: value.lower() if key == "type" and isinstance(value, str) else json_schema(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    return schema
