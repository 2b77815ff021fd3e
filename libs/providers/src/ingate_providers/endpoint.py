"""One endpoint of a format's API: its path under the format's base URL and how it behaves."""

from typing import Final, Literal

import msgspec

POST: Final = frozenset({"POST"})
GET: Final = frozenset({"GET"})

# The request/answer shapes the translator converts between, each to each: an endpoint speaks
# one, and a provider format is sent one when a caller's shape is not its own.
Shape = Literal[
    "openai-chat",
    "openai-responses",
    "anthropic-messages",
    "gemini-generate",
    "ollama-chat",
    "ollama-generate",
]


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # stable, recorded on events and metrics: "chat.completions"
    path: str  # appended to the format's base URL: "/chat/completions" (OpenAI's includes /v1)
    methods: frozenset[str]
    takes_id: bool = False  # one more path segment follows, e.g. GET /models/{model}
    # Google's custom method after that segment and a colon (POST /v1beta/models/{model}:generateContent):
    # the segment is then the model the request is for, which its body does not name.
    custom_method: str = ""
    streams_by_default: bool = False  # streams unless the body says `"stream": false` (Ollama)
    shape: Shape | None = None  # what the translator reads and writes it as; None: not translated
    # The provider reports a stream's usage only when asked (`stream_options.include_usage`).
    usage_needs_asking: bool = False
    # A JSON answer gains `"headers": {"X-Ingate-Request-Id": …}`: the OpenAI SDK keeps unknown
    # top-level fields as attributes, so a parsed completion still carries the request id.
    request_id_field: bool = False
    # Lists the provider's models; Ingate adds its routes to the list (callers' model pickers).
    lists_models: bool = False
