"""The OpenAI Responses API (`POST /v1/responses`) as a shape: "openai-responses".

As the caller's shape it lets a Responses client (Codex, the Agents SDK, the AI SDK) reach
a provider of another shape; as the provider's shape it lets a caller of another shape reach
a provider that speaks only Responses. Requests are read in `openai_responses_read` and
written in `openai_responses_write`; answers and errors go through `openai_responses_output`,
streams through `openai_responses_stream` (written) and `openai_responses_stream_read` (read).

| Responses request                                  | IR / handling                                   |
|----------------------------------------------------|-------------------------------------------------|
| `instructions`, system and developer messages      | `system`, in order                              |
| user / assistant messages, input_text, output_text | turns of Text (consecutive items of a side      |
| (and assistant `refusal` parts)                    | merge into one turn)                            |
| input_image with image_url (http(s) or data URL)   | Image                                           |
| function_call / function_call_output (`call_id`)   | ToolCall / ToolResult (`call_id` is the id)     |
| reasoning {summary, encrypted_content}             | Thinking (summary texts joined by a blank line; |
|                                                    | encrypted_content is the signature)             |
| reasoning with no summary and encrypted_content    | RedactedThinking: how an Anthropic              |
| starting with REDACTED_MARKER                      | redacted_thinking block reaches the caller and  |
|                                                    | comes back byte for byte                        |
| reasoning with no summary and encrypted_content    | the signature of that call (Gemini signs the    |
| CALL_SIGNATURE_MARKER + call id + ":" + signature, | calls that follow its thinking and needs the    |
| after the function_call it signs                   | signature back with the call)                   |
| `tools` of type function (`strict` is a hint)      | Tool                                            |
| `tool_choice`, `parallel_tool_calls`               | ToolChoice                                      |
| `max_output_tokens`, `temperature`, `top_p`        | `max_tokens`, `temperature`, `top_p`            |
| `reasoning.effort` ("none": off; "xhigh": high)    | Reasoning effort (writers derive budgets)       |
| `text.format` text / json_object / json_schema     | ResponseFormat                                  |
| `safety_identifier` (or else `user`)               | `user`                                          |
| `previous_response_id`, `conversation`, `prompt`,  | refused: state stored by OpenAI, which the      |
| item_reference items                               | gateway does not keep when it translates        |
| built-in tools (web_search, file_search, computer, | refused, naming `tools[i]`                      |
| code_interpreter, mcp, image_generation, ...) and  |                                                 |
| custom tools; non-function `tool_choice`           |                                                 |
| `background`, `max_tool_calls`, `top_logprobs`,    | refused                                         |
| input_file parts, input_image by `file_id`         |                                                 |
| `store`, `metadata`, `include`, `truncation`,      | ignored: no effect on what the model writes     |
| `prompt_cache_key`, `service_tier`,                | (the provider's own reasoning summary setting   |
| `reasoning.summary`, `text.verbosity`, `detail`    | applies)                                        |

Answers: one output item per part (see `openai_responses_output`), ids made from the
provider's answer id, `created_at` from the context, usage with cached input as
`cached_tokens` and reasoning as `reasoning_tokens`. A function call's signature
follows it as its own reasoning item (CALL_SIGNATURE_MARKER). A cut-off answer is "incomplete"
(max_output_tokens or content_filter). Errors use OpenAI's `{"error": {...}}` envelope, read
and written as for chat (`openai_chat`).

Written for a Responses provider, the request is sent with `store: false` (the gateway keeps
no state upstream either) and, when reasoning is asked for, `include:
["reasoning.encrypted_content"]` so the next turn can carry it; function tools go with
`strict: false` (the API's default is strict, which most schemas do not satisfy). Thinking
without a signature and redacted thinking (another provider's) are not sent; reasoning items
get an id made from their signature. A tool result's error flag has no Responses form (its
text says so). `top_k`, `stop` and the penalties are refused: the API has none of them.
"""

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import SseEvent, TranslatedRequest
from ingate_translate.shapes import openai_chat
from ingate_translate.shapes import openai_responses_output as output
from ingate_translate.shapes.openai_responses_output import CALL_SIGNATURE_MARKER, REDACTED_MARKER
from ingate_translate.shapes.openai_responses_read import read_request
from ingate_translate.shapes.openai_responses_stream import write_stream
from ingate_translate.shapes.openai_responses_stream_read import read_stream
from ingate_translate.shapes.openai_responses_write import write_request


class OpenAIResponses:
    """The Responses API shape, as a caller's (ClientCodec) and as a provider's (BackendCodec)."""

    shape: Shape = "openai-responses"

    # -- the caller speaks Responses ------------------------------------------------

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:
        del hints  # the body names the model and whether to stream
        return read_request(body)

    def write_response(self, response: ir.Response, context: ir.Context) -> bytes:
        return output.write_response(response, context)

    def write_error(self, error: ir.Error) -> tuple[int, bytes]:
        return openai_chat.write_error(error)

    def write_stream(
        self, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
    ) -> tuple[bytes, bytes]:
        return write_stream(state, context, events, final)

    # -- the provider speaks Responses ----------------------------------------------

    def write_request(self, request: ir.Request) -> TranslatedRequest:
        return write_request(request)

    def read_response(self, body: bytes) -> ir.Response:
        return output.read_response(body)

    def read_error(self, status: int, body: bytes) -> ir.Error:
        return openai_chat.read_error(status, body)

    def read_stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
        return read_stream(state, events, final)


__all__ = ["CALL_SIGNATURE_MARKER", "REDACTED_MARKER", "OpenAIResponses"]
