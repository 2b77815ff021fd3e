"""Anthropic Messages wire format: requests, responses, stream events and errors.

Decoding ignores fields not declared here (cache_control, citations, ...). Blocks in
a request are a tagged union, so an unsupported block type is a clear decoding error;
blocks produced by the backend are decoded loosely (`AnyBlock`, `AnyDelta`) so a new
block type the client cannot see never breaks a response. Generic structs let one
definition serve both: `MessageResponse[AnyBlock]` to read, `MessageResponse[OutBlock]`
to write. Fields the API always sends are emitted even when null (`stop_reason`,
`stop_sequence`); fields it sends only sometimes default to UNSET and are left out.
"""

from typing import Generic, Literal, TypeVar

from msgspec import UNSET, Struct, UnsetType, field

# -- content blocks ----------------------------------------------------------


class CacheControl(Struct, omit_defaults=True):
    type: str  # "ephemeral", the only kind
    ttl: str | None = None


class TextBlock(Struct, tag="text", tag_field="type", omit_defaults=True):
    text: str
    cache_control: CacheControl | None = None


class Base64Source(Struct, tag="base64", tag_field="type"):
    media_type: str
    data: str


class URLSource(Struct, tag="url", tag_field="type"):
    url: str


class FileSource(Struct, tag="file", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    file_id: str = ""


ImageSource = Base64Source | URLSource | FileSource


class ImageBlock(Struct, tag="image", tag_field="type", omit_defaults=True):
    source: ImageSource
    cache_control: CacheControl | None = None


class ToolUseBlock(Struct, tag="tool_use", tag_field="type", kw_only=True):
    id: str
    name: str
    input: dict[str, object]


class DocumentBlock(Struct, tag="document", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    source: object = None


class SearchResultBlock(Struct, tag="search_result", tag_field="type"):
    """Decoded only so that it can be rejected by name."""

    source: object = None


ToolResultPart = TextBlock | ImageBlock | DocumentBlock | SearchResultBlock


class ToolResultBlock(Struct, tag="tool_result", tag_field="type", omit_defaults=True, kw_only=True):
    tool_use_id: str
    content: str | list[ToolResultPart] | None = None
    is_error: bool | None = None
    cache_control: CacheControl | None = None


class ThinkingBlock(Struct, tag="thinking", tag_field="type"):
    thinking: str = ""
    signature: str = ""


class RedactedThinkingBlock(Struct, tag="redacted_thinking", tag_field="type"):
    data: str = ""


ContentBlock = (
    TextBlock
    | ImageBlock
    | ToolUseBlock
    | ToolResultBlock
    | DocumentBlock
    | SearchResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
)
OutBlock = TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock


class AnyBlock(Struct, kw_only=True):
    """A response block of any type, read loosely; server tool blocks are not shown."""

    type: str
    text: str = ""
    id: str = ""
    name: str = ""
    input: object = None
    thinking: str = ""
    signature: str = ""
    data: str = ""


# -- request -----------------------------------------------------------------


class Message(Struct):
    role: Literal["user", "assistant"]
    content: str | list[ContentBlock]


class Tool(Struct, omit_defaults=True, kw_only=True):
    name: str
    description: str | None = None
    input_schema: dict[str, object] | None = None
    # Custom tools have no type (or "custom"); server tools (web search, bash...) do.
    type: str | None = None
    cache_control: CacheControl | None = None


class ToolChoiceAuto(Struct, tag="auto", tag_field="type", omit_defaults=True):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(Struct, tag="any", tag_field="type", omit_defaults=True):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(Struct, tag="tool", tag_field="type", omit_defaults=True):
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(Struct, tag="none", tag_field="type"):
    pass


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone


class Metadata(Struct, omit_defaults=True):
    user_id: str | None = None


class ThinkingConfig(Struct, omit_defaults=True):
    type: str
    budget_tokens: int | None = None


class MessagesRequest(Struct, omit_defaults=True, kw_only=True):
    model: str
    messages: list[Message]
    max_tokens: int | None = None
    system: str | list[TextBlock] | None = None
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    metadata: Metadata | None = None
    top_k: int | None = None
    thinking: ThinkingConfig | None = None
    # Declared so that it can be rejected; never set when encoding.
    mcp_servers: object = None


# -- response ----------------------------------------------------------------


class Usage(Struct, kw_only=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET


BlockT = TypeVar("BlockT")


class MessageResponse(Struct, Generic[BlockT], kw_only=True):
    id: str = ""
    type: str = "message"
    role: str = "assistant"
    content: list[BlockT] = field(default_factory=list)
    model: str = ""
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)


# -- stream events -----------------------------------------------------------


class TextDelta(Struct, tag="text_delta", tag_field="type"):
    text: str


class InputJSONDelta(Struct, tag="input_json_delta", tag_field="type"):
    partial_json: str


class ThinkingDelta(Struct, tag="thinking_delta", tag_field="type"):
    thinking: str


class SignatureDelta(Struct, tag="signature_delta", tag_field="type"):
    signature: str


class AnyDelta(Struct, kw_only=True):
    """A block delta of any type, read loosely (citation deltas are not shown)."""

    type: str
    text: str = ""
    partial_json: str = ""
    thinking: str = ""
    signature: str = ""


OutDelta = TextDelta | InputJSONDelta | ThinkingDelta | SignatureDelta
DeltaT = TypeVar("DeltaT")


class MessageStart(Struct, Generic[BlockT], tag="message_start", tag_field="type"):
    message: MessageResponse[BlockT]


class ContentBlockStart(Struct, Generic[BlockT], tag="content_block_start", tag_field="type"):
    index: int
    content_block: BlockT


class ContentBlockDelta(Struct, Generic[DeltaT], tag="content_block_delta", tag_field="type"):
    index: int
    delta: DeltaT


class ContentBlockStop(Struct, tag="content_block_stop", tag_field="type"):
    index: int


class MessageDeltaBody(Struct, kw_only=True):
    stop_reason: str | None = None
    stop_sequence: str | None = None


class DeltaUsage(Struct, kw_only=True):
    output_tokens: int = 0
    input_tokens: int | UnsetType | None = UNSET
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET


class MessageDelta(Struct, tag="message_delta", tag_field="type"):
    delta: MessageDeltaBody
    usage: DeltaUsage = field(default_factory=DeltaUsage)


class MessageStop(Struct, tag="message_stop", tag_field="type"):
    pass


class Ping(Struct, tag="ping", tag_field="type"):
    pass


class ErrorDetail(Struct, kw_only=True):
    type: str = "api_error"
    message: str = ""


class ErrorBody(Struct, tag="error", tag_field="type"):
    """An error response body, and the data of an `error` stream event."""

    error: ErrorDetail


StreamEvent = (
    MessageStart[AnyBlock]
    | ContentBlockStart[AnyBlock]
    | ContentBlockDelta[AnyDelta]
    | ContentBlockStop
    | MessageDelta
    | MessageStop
    | Ping
    | ErrorBody
)
