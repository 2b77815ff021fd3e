"""OpenAI Chat Completions wire format: requests, responses, stream chunks and errors.

Decoding ignores fields not declared here, so newer API fields never break a
translation; fields that have to be rejected are declared (loosely typed) so their
presence can be detected. Request structs omit unset fields when encoded. Response
and chunk structs mirror what the API itself sends: fields it always sends are
emitted even when null (`content`, `finish_reason`, `logprobs`), fields it sends
only sometimes default to UNSET and are left out until set.
"""

from typing import Literal

from msgspec import UNSET, Struct, UnsetType, field

AnyJSON = object
"""Any JSON value (named so that it stays usable where a field is called `object`)."""

# -- request: content parts --------------------------------------------------


class CacheControl(Struct, omit_defaults=True):
    """Not OpenAI's own: Anthropic's cache breakpoint, which OpenAI-format callers of Claude
    models put on content parts (as OpenRouter and LiteLLM accept it)."""

    type: str = "ephemeral"
    ttl: str | None = None


class TextPart(Struct, tag="text", tag_field="type"):
    text: str
    cache_control: CacheControl | UnsetType = UNSET


class ImageURL(Struct, omit_defaults=True):
    url: str
    detail: str | None = None


class ImagePart(Struct, tag="image_url", tag_field="type"):
    image_url: ImageURL
    cache_control: CacheControl | UnsetType = UNSET


class InputAudioPart(Struct, tag="input_audio", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    input_audio: object = None


class FilePart(Struct, tag="file", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    file: object = None


class RefusalPart(Struct, tag="refusal", tag_field="type"):
    refusal: str


UserPart = TextPart | ImagePart | InputAudioPart | FilePart
AssistantPart = TextPart | RefusalPart

# -- request: messages -------------------------------------------------------


class FunctionCall(Struct):
    name: str
    arguments: str


class ToolCall(Struct, kw_only=True):
    id: str
    type: str = "function"
    function: FunctionCall


class SystemMessage(Struct, tag="system", tag_field="role", omit_defaults=True):
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(Struct, tag="developer", tag_field="role", omit_defaults=True):
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(Struct, tag="user", tag_field="role", omit_defaults=True):
    content: str | list[UserPart]
    name: str | None = None


class ThinkingBlock(Struct, tag="thinking", tag_field="type", kw_only=True):
    """Reasoning with its provider's signature, as an extra field of assistant messages
    (`thinking_blocks`): the caller sends it back unchanged to continue the turn."""

    thinking: str = ""
    signature: str = ""


class RedactedThinkingBlock(Struct, tag="redacted_thinking", tag_field="type", kw_only=True):
    data: str = ""


ThinkingBlocks = list[ThinkingBlock | RedactedThinkingBlock]


class AssistantMessage(Struct, tag="assistant", tag_field="role", omit_defaults=True, kw_only=True):
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None
    name: str | None = None
    reasoning_content: str | None = None
    thinking_blocks: ThinkingBlocks | None = None


class ToolMessage(Struct, tag="tool", tag_field="role", kw_only=True):
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(Struct, tag="function", tag_field="role", kw_only=True):
    """The deprecated function-calling role; decoded only so that it can be rejected by name."""

    content: str | None = None
    name: str = ""


Message = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage

# -- request: tools ----------------------------------------------------------


class FunctionDefinition(Struct, omit_defaults=True, kw_only=True):
    name: str
    description: str | None = None
    parameters: dict[str, object] | None = None
    strict: bool | None = None


class FunctionTool(Struct, tag="function", tag_field="type"):
    function: FunctionDefinition


class CustomTool(Struct, tag="custom", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    custom: object = None


Tool = FunctionTool | CustomTool


class NamedFunction(Struct):
    name: str


class ToolChoiceFunction(Struct, tag="function", tag_field="type"):
    function: NamedFunction


class ToolChoiceAllowedTools(Struct, tag="allowed_tools", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    allowed_tools: object = None


class ToolChoiceCustom(Struct, tag="custom", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    custom: object = None


ToolChoiceMode = Literal["none", "auto", "required"]
ToolChoice = ToolChoiceMode | ToolChoiceFunction | ToolChoiceAllowedTools | ToolChoiceCustom

# -- request -----------------------------------------------------------------


class StreamOptions(Struct, omit_defaults=True):
    include_usage: bool | None = None


class JsonSchemaFormat(Struct, omit_defaults=True, kw_only=True):
    name: str = ""
    description: str | None = None
    schema: dict[str, object] | None = None
    strict: bool | None = None


class ResponseFormat(Struct, omit_defaults=True):
    type: str
    json_schema: JsonSchemaFormat | None = None


class ChatRequest(Struct, omit_defaults=True, kw_only=True):
    model: str
    messages: list[Message]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    response_format: ResponseFormat | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    reasoning_effort: str | None = None
    # Declared so that they can be rejected; never set when encoding.
    n: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None
    audio: object = None
    modalities: list[str] | None = None
    prediction: object = None
    web_search_options: object = None
    functions: object = None
    function_call: object = None


# -- response ----------------------------------------------------------------


class PromptTokensDetails(Struct, kw_only=True):
    cached_tokens: int = 0
    cache_write_tokens: int | UnsetType | None = UNSET


class CompletionTokensDetails(Struct, kw_only=True):
    reasoning_tokens: int = 0


class Usage(Struct, kw_only=True):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails | UnsetType | None = UNSET
    completion_tokens_details: CompletionTokensDetails | UnsetType | None = UNSET


class ResponseMessage(Struct, kw_only=True):
    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | UnsetType | None = UNSET
    # The thinking extension (see ThinkingBlock); OpenAI-compatible servers send `reasoning_content`
    # or `reasoning` for the reasoning they show.
    reasoning_content: str | UnsetType | None = UNSET
    reasoning: str | UnsetType | None = UNSET
    thinking_blocks: ThinkingBlocks | UnsetType | None = UNSET


class Choice(Struct, kw_only=True):
    index: int = 0
    message: ResponseMessage
    finish_reason: str | None = None
    logprobs: object = None


class ChatCompletion(Struct, kw_only=True):
    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[Choice] = field(default_factory=list)
    usage: Usage | UnsetType | None = UNSET


# -- stream chunks -----------------------------------------------------------


class FunctionDelta(Struct, omit_defaults=True):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(Struct, kw_only=True):
    index: int = 0  # always sent, even when 0
    id: str | UnsetType | None = UNSET
    type: str | UnsetType | None = UNSET
    function: FunctionDelta | UnsetType | None = UNSET


class Delta(Struct, omit_defaults=True, kw_only=True):
    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None  # read only: what some OpenAI-compatible servers call it
    thinking_blocks: ThinkingBlocks | None = None


class ChunkChoice(Struct, kw_only=True):
    index: int = 0
    delta: Delta = field(default_factory=Delta)
    finish_reason: str | None = None
    logprobs: object = None


class ChatCompletionChunk(Struct, kw_only=True):
    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = field(default_factory=list)
    usage: Usage | UnsetType | None = UNSET
    # Only in a failing stream: `{"error": {...}}` in place of a chunk.
    error: AnyJSON | UnsetType = UNSET


# -- errors ------------------------------------------------------------------


class ErrorDetail(Struct, kw_only=True):
    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class ErrorBody(Struct):
    error: ErrorDetail
