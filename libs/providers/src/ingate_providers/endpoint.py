"""One endpoint of a format's API: its path under the format's base URL and how it behaves."""

from typing import Final

import msgspec

POST: Final = frozenset({"POST"})
GET: Final = frozenset({"GET"})


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # stable, recorded on events and metrics: "chat.completions"
    path: str  # appended to the format's base URL: "/chat/completions" (OpenAI's includes /v1)
    methods: frozenset[str]
    takes_id: bool = False  # one more path segment follows, e.g. GET /models/{model}
    streams_by_default: bool = False  # streams unless the body says `"stream": false` (Ollama)
    translatable: bool = False  # the translator converts it to and from the other formats' chat
    # The provider reports a stream's usage only when asked (`stream_options.include_usage`).
    usage_needs_asking: bool = False
    # A JSON answer gains `"headers": {"X-Ingate-Request-Id": …}`: the OpenAI SDK keeps unknown
    # top-level fields as attributes, so a parsed completion still carries the request id.
    request_id_field: bool = False
    # Lists the provider's models; Ingate adds its routes to the list (callers' model pickers).
    lists_models: bool = False
