"""What `python -m bench` measures: the callers (one per shape the edge serves) and the cases,
each a caller's request sent directly, through the edge, or through the edge translated.

The reference cases (an OpenAI chat caller: direct, edge, and translated for an Anthropic
provider) run at every concurrency; the other pairs, one or more per new shape as caller and
as provider, at c=1, each next to the untranslated edge path of the same caller (an Ollama
caller, whose provider is not in the bench, next to the OpenAI chat caller's). Adding a pair is
one line in CASES.
"""

from dataclasses import dataclass
from typing import Final, Literal

from bench import wrk
from bench.replies import GEMINI_RESPONSE_ID, MESSAGE_ID
from ingate_providers import FORMATS, Format, Shape

Mode = Literal["json", "stream"]
# direct: to the upstream; edge: through the edge; translated: through the edge and the translator.
Via = Literal["direct", "edge", "translated"]
MODES: Final[tuple[Mode, ...]] = ("json", "stream")


@dataclass(frozen=True)
class Caller:
    """One shape's request as its SDK sends it, and how to tell its answers."""

    shape: Shape
    paths: dict[Mode, str]  # under the base URL; Gemini's stream is its own method
    bodies: dict[Mode, str]
    markers: dict[Mode, bytes]  # in every answer of this shape
    carries_id: bool = True  # its answers carry the provider's response id (Ollama's do not)

    def chunks(self, body: bytes) -> int:
        """Chunks a stream answer of this shape holds: SSE data events ([DONE] not counted) or
        NDJSON lines."""
        return body.count(b"\n") if self.shape.startswith("ollama") else body.count(b"data: {")


_HI: Final = '"messages":[{"role":"user","content":"hi"}]'
_GEMINI_BODY: Final = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
_GEMINI_MODEL_PATH: Final = "/v1beta/models/gemini-2.5-flash"

CALLERS: Final[dict[Shape, Caller]] = {
    caller.shape: caller
    for caller in (
        Caller(
            "openai-chat",
            {"json": wrk.PATH, "stream": wrk.PATH},
            {"json": wrk.JSON_BODY, "stream": wrk.STREAM_BODY},
            {"json": b'"chat.completion"', "stream": b"data: [DONE]"},
        ),
        Caller(
            "anthropic-messages",
            {"json": "/v1/messages", "stream": "/v1/messages"},
            {
                "json": '{"model":"claude-sonnet-4-5","max_tokens":256,' + _HI + "}",
                "stream": '{"model":"claude-sonnet-4-5","max_tokens":256,' + _HI + ',"stream":true}',
            },
            {"json": b'"type":"message"', "stream": b"event: message_stop"},
        ),
        Caller(
            "gemini-generate",
            {
                "json": _GEMINI_MODEL_PATH + ":generateContent",
                "stream": _GEMINI_MODEL_PATH + ":streamGenerateContent?alt=sse",
            },
            {"json": _GEMINI_BODY, "stream": _GEMINI_BODY},
            {"json": b'"finishReason":"STOP"', "stream": b'"finishReason":"STOP"'},
        ),
        Caller(
            "openai-responses",
            {"json": "/v1/responses", "stream": "/v1/responses"},
            {
                "json": '{"model":"gpt-4o","input":"hi"}',
                "stream": '{"model":"gpt-4o","input":"hi","stream":true}',
            },
            {"json": b'"object":"response"', "stream": b"event: response.completed"},
        ),
        Caller(
            "ollama-chat",
            {"json": "/api/chat", "stream": "/api/chat"},
            {
                "json": '{"model":"llama3.2",' + _HI + ',"stream":false}',
                "stream": '{"model":"llama3.2",' + _HI + ',"stream":true}',
            },
            {"json": b'"done":true', "stream": b'"done":true'},
            carries_id=False,
        ),
    )
}

# The response id each provider dialect of the upstream answers with, as it shows in a
# translated answer: proof that the answer came from that provider through the translator.
_PROVIDER_IDS: Final[dict[Format, bytes]] = {
    "openai": b"bench0000000000000000000000",
    "anthropic": MESSAGE_ID.removeprefix("msg_").encode(),
    "gemini": GEMINI_RESPONSE_ID.encode(),
}


@dataclass(frozen=True)
class Case:
    via: Via
    caller: Shape = "openai-chat"
    provider: Format | None = None  # translated: the built-in provider the edge sends it to

    @property
    def label(self) -> str:
        if self.via == "translated":
            return f"{self.caller} → {self.backend_shape}"
        return self.via if self.caller == "openai-chat" else f"{self.via} ({self.caller})"

    @property
    def backend_shape(self) -> Shape | None:
        return None if self.provider is None else FORMATS[self.provider].backend_shape

    @property
    def headers(self) -> dict[str, str]:
        if self.provider is None:
            return {}
        return {"X-Ingate-Provider": self.provider, "X-Ingate-Translate": "true"}

    @property
    def provider_id(self) -> bytes | None:
        """What a translated answer must hold (None: nothing to check)."""
        if self.provider is None or not CALLERS[self.caller].carries_id:
            return None
        return _PROVIDER_IDS[self.provider]

    @property
    def baseline(self) -> "Case":
        """The untranslated path a translated case is compared with: the same caller's through
        the edge, or the OpenAI chat caller's when the bench has no provider of the caller's own."""
        native = Case("edge", self.caller)
        return native if native in CASES else EDGE


DIRECT: Final = Case("direct")
EDGE: Final = Case("edge")
TRANSLATED: Final = Case("translated", "openai-chat", "anthropic")
REFERENCE: Final[tuple[Case, ...]] = (DIRECT, EDGE, TRANSLATED)
# The other pairs, each after the untranslated path it is compared with (c=1 only).
MORE: Final[tuple[Case, ...]] = (
    Case("translated", "openai-chat", "gemini"),
    Case("edge", "gemini-generate"),
    Case("translated", "gemini-generate", "openai"),
    Case("translated", "gemini-generate", "anthropic"),
    Case("edge", "anthropic-messages"),
    Case("translated", "anthropic-messages", "gemini"),
    Case("edge", "openai-responses"),
    Case("translated", "openai-responses", "anthropic"),
    Case("translated", "ollama-chat", "openai"),
)
CASES: Final[tuple[Case, ...]] = REFERENCE + MORE
