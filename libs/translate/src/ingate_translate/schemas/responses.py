"""OpenAI Responses API wire format (`POST /v1/responses`): requests, responses, stream events, errors.

Items, content parts and stream events are each one loose struct keyed by `type` rather than
a tagged union: a tagged union refuses a type it does not declare, and the API keeps adding
item and event types (web search calls, annotations, ...) that a translation must read past.
The codec checks the fields each type needs. Fields default to UNSET and are left out when
encoded, so a writer emits exactly the fields it sets (zeros and nulls included).

Request fields that must be refused are declared (loosely typed) so their presence can be
detected; decoding ignores fields not declared here.
"""

from typing import Any

from msgspec import UNSET, Struct, UnsetType, field

JSON = Any
"""Any JSON value the codec passes through or only checks for presence."""

# -- content parts and items (request input and response output) -------------


class ContentPart(Struct, kw_only=True):
    """input_text | input_image | input_file | output_text | refusal | summary_text | reasoning_text."""

    type: str
    text: str | UnsetType = UNSET
    image_url: str | UnsetType | None = UNSET
    file_id: str | UnsetType | None = UNSET
    detail: str | UnsetType = UNSET
    refusal: str | UnsetType = UNSET
    annotations: list[JSON] | UnsetType = UNSET
    logprobs: list[JSON] | UnsetType = UNSET


class Item(Struct, kw_only=True):
    """message | function_call | function_call_output | reasoning | item_reference | others.

    Input messages may leave out `type` ("easy" messages `{role, content}`)."""

    type: str = "message"
    id: str | UnsetType | None = UNSET
    status: str | UnsetType | None = UNSET
    # message
    role: str | UnsetType = UNSET
    # message: str or parts; reasoning: reasoning_text parts
    content: str | list[ContentPart] | UnsetType | None = UNSET
    # function_call / function_call_output
    call_id: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET
    output: str | list[ContentPart] | UnsetType = UNSET
    # reasoning
    summary: list[ContentPart] | UnsetType = UNSET
    encrypted_content: str | UnsetType | None = UNSET


# -- request -----------------------------------------------------------------


class Tool(Struct, kw_only=True):
    """A function tool; other types (web_search, file_search, mcp, ...) are read to be refused."""

    type: str
    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    parameters: dict[str, JSON] | UnsetType | None = UNSET
    strict: bool | UnsetType | None = UNSET


class ToolChoiceObject(Struct, kw_only=True):
    """`{"type": "function", "name"}`; other types (allowed_tools, hosted tools) are refused."""

    type: str
    name: str | UnsetType = UNSET


ToolChoice = str | ToolChoiceObject


class TextFormat(Struct, kw_only=True):
    type: str = "text"  # text | json_object | json_schema
    name: str | UnsetType = UNSET
    schema: dict[str, JSON] | UnsetType = UNSET
    strict: bool | UnsetType | None = UNSET
    description: str | UnsetType = UNSET


class TextConfig(Struct, kw_only=True):
    format: TextFormat | UnsetType = UNSET
    verbosity: str | UnsetType | None = UNSET


class ReasoningConfig(Struct, kw_only=True):
    effort: str | UnsetType | None = UNSET
    summary: str | UnsetType | None = UNSET


class Request(Struct, kw_only=True):
    model: str
    input: str | list[Item] | UnsetType = UNSET
    instructions: str | UnsetType | None = UNSET
    tools: list[Tool] | UnsetType | None = UNSET
    tool_choice: ToolChoice | UnsetType | None = UNSET
    parallel_tool_calls: bool | UnsetType | None = UNSET
    max_output_tokens: int | UnsetType | None = UNSET
    temperature: float | UnsetType | None = UNSET
    top_p: float | UnsetType | None = UNSET
    stream: bool | UnsetType | None = UNSET
    reasoning: ReasoningConfig | UnsetType | None = UNSET
    text: TextConfig | UnsetType | None = UNSET
    include: list[str] | UnsetType | None = UNSET
    user: str | UnsetType | None = UNSET
    safety_identifier: str | UnsetType | None = UNSET
    store: bool | UnsetType | None = UNSET
    # Ignored by a translation (see the codec's table); declared to document them.
    metadata: JSON = UNSET
    truncation: str | UnsetType | None = UNSET
    prompt_cache_key: str | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    # Refused by a translation.
    previous_response_id: str | UnsetType | None = UNSET
    conversation: JSON = UNSET
    background: bool | UnsetType | None = UNSET
    prompt: JSON = UNSET
    max_tool_calls: int | UnsetType | None = UNSET
    top_logprobs: int | UnsetType | None = UNSET


# -- response ----------------------------------------------------------------


class InputTokensDetails(Struct, kw_only=True):
    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(Struct, kw_only=True):
    reasoning_tokens: int = 0


class Usage(Struct, kw_only=True):
    input_tokens: int = 0
    input_tokens_details: InputTokensDetails | None = field(default_factory=InputTokensDetails)
    output_tokens: int = 0
    output_tokens_details: OutputTokensDetails | None = field(default_factory=OutputTokensDetails)
    total_tokens: int = 0


class IncompleteDetails(Struct, kw_only=True):
    reason: str | None = None


class ResponseError(Struct, kw_only=True):
    code: str | None = None
    message: str = ""


class Response(Struct, kw_only=True):
    """The response object. The echoed request fields are ones the SDK's `Response` requires."""

    id: str = ""
    object: str = "response"
    created_at: int | float = 0
    status: str | UnsetType | None = UNSET
    error: ResponseError | UnsetType | None = UNSET
    incomplete_details: IncompleteDetails | UnsetType | None = UNSET
    instructions: JSON = UNSET
    max_output_tokens: int | UnsetType | None = UNSET
    model: str = ""
    output: list[Item] = field(default_factory=list)
    parallel_tool_calls: bool | UnsetType = UNSET
    previous_response_id: str | UnsetType | None = UNSET
    reasoning: JSON = UNSET
    temperature: float | UnsetType | None = UNSET
    text: JSON = UNSET
    tool_choice: JSON = UNSET
    tools: list[JSON] | UnsetType = UNSET
    top_p: float | UnsetType | None = UNSET
    truncation: str | UnsetType | None = UNSET
    usage: Usage | UnsetType | None = UNSET
    metadata: JSON = UNSET


# -- stream events -----------------------------------------------------------


class StreamEvent(Struct, kw_only=True):
    """Every stream event: `type` says which, and which of the other fields it carries."""

    type: str
    sequence_number: int | UnsetType = UNSET
    response: Response | UnsetType = UNSET
    output_index: int | UnsetType = UNSET
    item: Item | UnsetType = UNSET
    item_id: str | UnsetType = UNSET
    content_index: int | UnsetType = UNSET
    summary_index: int | UnsetType = UNSET
    part: ContentPart | UnsetType = UNSET
    delta: str | UnsetType = UNSET
    text: str | UnsetType = UNSET
    refusal: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET
    logprobs: list[JSON] | UnsetType = UNSET
    # error events
    code: str | UnsetType | None = UNSET
    message: str | UnsetType = UNSET
    param: str | UnsetType | None = UNSET
