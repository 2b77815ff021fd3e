"""The values that cross a translation pair's boundary, and its two errors.

Everything here is pure: no I/O, no logging, no globals.
"""

import msgspec


class TranslationError(Exception):
    """The request cannot be expressed in the backend's format: a 400 in the caller's dialect."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class BackendFormatError(Exception):
    """A backend 2xx body that is not in the backend's documented format: a 502 for the caller."""


class SseEvent(msgspec.Struct, array_like=True, frozen=True):
    """One server-sent event. `event` is "" for streams without event names (OpenAI)."""

    event: str
    data: str


class TranslatedRequest(msgspec.Struct, kw_only=True):
    body: bytes  # JSON for the backend
    # Appended to the provider's base URL, written as the backend shape's own format writes its
    # paths ("/chat/completions" for OpenAI chat, "/v1/messages"): the edge maps it onto the
    # provider's format (Ollama serves OpenAI's at "/v1/chat/completions").
    path: str
    query: str = ""  # the query string to send, e.g. "alt=sse" (Gemini streams); never the caller's
    headers: dict[str, str] = msgspec.field(default_factory=dict)  # e.g. anthropic-version
    stream: bool = False
    model: str = ""
    context: bytes = b""  # opaque; handed back with every answer, error and stream call


def encode_sse(events: list[SseEvent]) -> bytes:
    """Frame events for the wire: `event:` only when named, one `data:` line per data line."""
    parts: list[str] = []
    for item in events:
        if item.event:
            parts.append(f"event: {item.event}\n")
        for line in item.data.split("\n"):
            parts.append(f"data: {line}\n")
        parts.append("\n")
    return "".join(parts).encode()
