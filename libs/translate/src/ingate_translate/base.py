"""The shape every translation pair has, and the values that cross its boundary.

A pair converts between a client format (what the caller's SDK speaks) and a
backend format (what the provider speaks). Everything here is pure: no I/O, no
logging, no globals. Stream translation is stateful, but the state is an explicit
value the caller keeps (as opaque bytes) and hands back with the next events, so
any translator replica can continue any stream.
"""

from typing import Protocol

import msgspec

from ingate_providers import Shape


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
    path: str  # appended to the backend's base URL: "/chat/completions" (OpenAI) or "/v1/messages"
    query: str = ""  # the query string to send, e.g. "alt=sse" (Gemini streams); never the caller's
    headers: dict[str, str] = msgspec.field(default_factory=dict)  # e.g. anthropic-version
    stream: bool = False
    model: str = ""
    context: bytes = b""  # opaque; handed back to response(), error() and stream_start()


class Pair(Protocol):
    client: Shape
    backend: Shape

    def request(self, body: bytes) -> TranslatedRequest:
        """Client request JSON → backend request. Raises TranslationError when inexpressible."""
        ...

    def response(self, context: bytes, body: bytes) -> bytes:
        """Backend 2xx JSON body → client JSON body. Raises BackendFormatError when unreadable."""
        ...

    def error(self, context: bytes, status: int, body: bytes) -> tuple[int, bytes]:
        """Backend error (status, body) → client error (status, body) the client's SDK understands."""
        ...

    def reject(self, error: TranslationError) -> tuple[int, bytes]:
        """A TranslationError raised by request() → (400, error body in the client's dialect)."""
        ...

    def stream_start(self, context: bytes) -> bytes:
        """The initial stream state for a streamed request."""
        ...

    def stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[SseEvent]]:
        """Backend events → client events; `final` marks the end of the backend stream."""
        ...


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
