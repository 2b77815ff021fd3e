"""Gemini generateContent wire format (REST, camelCase as the API and its SDKs send it).

A Gemini part is not a tagged union: which one field is set says what it is (`text`,
`inlineData`, `fileData`, `functionCall`, `functionResponse`, ...), and any part may carry
a `thoughtSignature`. So `Part` is one struct with every kind optional. Fields the
translation refuses by name (`cachedContent`, `googleSearch`, `responseModalities`, ...)
are declared so that a reader can see them; fields nothing reads are left out and ignored
on decoding. JSON objects chosen by the caller (function arguments and responses, schemas)
stay plain dicts. Everything defaults to None and is left out when None, as the API does.

The API also accepts the proto field names (snake_case, as Google's curl examples use):
`snake_to_camel` rewrites those keys, guided by these structs, before decoding.
"""

from functools import cache
from typing import Any

from msgspec import Struct, inspect


class _Wire(Struct, rename="camel", omit_defaults=True, kw_only=True):
    pass


# -- content -----------------------------------------------------------------


class Blob(_Wire):
    mime_type: str = ""
    data: str = ""  # base64


class FileData(_Wire):
    mime_type: str | None = None
    file_uri: str = ""


class FunctionCall(_Wire):
    id: str | None = None
    name: str = ""
    args: dict[str, Any] | None = None


class FunctionResponsePart(_Wire):
    inline_data: Blob | None = None
    file_data: FileData | None = None


class FunctionResponse(_Wire):
    id: str | None = None
    name: str = ""
    response: dict[str, Any] | None = None
    parts: list[FunctionResponsePart] | None = None  # multimodal results (images)


class Part(_Wire):
    text: str | None = None
    thought: bool | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought_signature: str | None = None  # base64, opaque: returned exactly as received
    # Declared only so that they can be refused by name.
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None
    video_metadata: dict[str, Any] | None = None


class Content(_Wire):
    role: str | None = None  # "user" | "model" ("function" in old clients' results)
    parts: list[Part] | None = None


# -- request -----------------------------------------------------------------


class FunctionDeclaration(_Wire):
    name: str = ""
    description: str | None = None
    parameters: dict[str, Any] | None = None  # Gemini's OpenAPI-subset Schema
    parameters_json_schema: dict[str, Any] | None = None  # full JSON Schema


class Tool(_Wire):
    function_declarations: list[FunctionDeclaration] | None = None
    # Server-side tools, run by Google: no other provider can run them.
    google_search: dict[str, Any] | None = None
    google_search_retrieval: dict[str, Any] | None = None
    code_execution: dict[str, Any] | None = None
    url_context: dict[str, Any] | None = None
    file_search: dict[str, Any] | None = None
    google_maps: dict[str, Any] | None = None
    computer_use: dict[str, Any] | None = None
    retrieval: dict[str, Any] | None = None
    enterprise_web_search: dict[str, Any] | None = None
    mcp_servers: list[Any] | None = None


class FunctionCallingConfig(_Wire):
    mode: str | None = None  # AUTO | ANY | NONE | VALIDATED
    allowed_function_names: list[str] | None = None


class ToolConfig(_Wire):
    function_calling_config: FunctionCallingConfig | None = None


class ThinkingConfig(_Wire):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None  # -1: dynamic, 0: off
    thinking_level: str | None = None  # MINIMAL | LOW | MEDIUM | HIGH


class GenerationConfig(_Wire):
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None  # the SDK types it as a number
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_json_schema: dict[str, Any] | None = None
    thinking_config: ThinkingConfig | None = None
    response_modalities: list[str] | None = None
    response_logprobs: bool | None = None
    logprobs: int | None = None
    speech_config: dict[str, Any] | None = None


class GenerateContentRequest(_Wire):
    contents: list[Content] | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[Any] | None = None
    cached_content: str | None = None


# -- response ----------------------------------------------------------------


class Candidate(_Wire):
    content: Content | None = None
    finish_reason: str | None = None
    index: int | None = None


class UsageMetadata(_Wire):
    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    cached_content_token_count: int | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None


class PromptFeedback(_Wire):
    block_reason: str | None = None
    block_reason_message: str | None = None


class GenerateContentResponse(_Wire):
    """A whole answer, and also each chunk of a stream (which carries part deltas)."""

    candidates: list[Candidate] | None = None
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None


# -- errors ------------------------------------------------------------------


class ErrorDetail(_Wire):
    code: int = 0
    message: str = ""
    status: str | None = None  # INVALID_ARGUMENT, UNAUTHENTICATED, RESOURCE_EXHAUSTED, ...
    details: list[Any] | None = None


class ErrorBody(_Wire):
    error: ErrorDetail


# -- proto field names -------------------------------------------------------

_MAX_DEPTH = 64  # deeper than any request these structs describe


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _rename(kind: inspect.Type, value: object, depth: int) -> object:
    """`value` with its struct keys in camelCase, where `kind` says the key is a struct field."""
    if depth > _MAX_DEPTH:
        raise ValueError("the request nests too deeply")
    if isinstance(kind, inspect.UnionType):
        for option in kind.types:
            if isinstance(option, inspect.StructType | inspect.ListType):
                return _rename(option, value, depth)
        return value
    if isinstance(kind, inspect.ListType) and isinstance(value, list):
        return [_rename(kind.item_type, item, depth + 1) for item in value]
    if isinstance(kind, inspect.StructType) and isinstance(value, dict):
        fields = {field.encode_name: field.type for field in kind.fields}
        renamed: dict[object, object] = {}
        for key, item in value.items():
            name = _camel(key) if isinstance(key, str) and key not in fields else key
            field_type = fields.get(name) if isinstance(name, str) else None
            renamed[name] = item if field_type is None else _rename(field_type, item, depth + 1)
        return renamed
    return value


def snake_to_camel(kind: type[Struct], value: object) -> object:
    """Decoded JSON for `kind`, its proto-style snake_case keys renamed to the camelCase the
    structs declare. Caller-chosen objects (function arguments, schemas) are left as they are.
    Raises ValueError when nesting is deeper than any such request."""
    return _rename(_type_info(kind), value, 0)


@cache
def _type_info(kind: type[Struct]) -> inspect.Type:
    return inspect.type_info(kind)
