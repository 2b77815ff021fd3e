"""The translator's NATS contract: subjects and msgpack payloads (edge ⇄ translator).

Stream state travels with every call, so any replica in the queue group can
continue any stream; the translator itself keeps nothing between calls.
"""

from typing import Final

import msgspec

SERVICE_NAME: Final = "ingate-translator"
SERVICE_VERSION: Final = "1.0.0"
QUEUE_GROUP: Final = "ingate-translator"
SUBJECT_PREFIX: Final = "ingate.translate.v1"
REQUEST_SUBJECT: Final = f"{SUBJECT_PREFIX}.request"
RESPONSE_SUBJECT: Final = f"{SUBJECT_PREFIX}.response"
ERROR_SUBJECT: Final = f"{SUBJECT_PREFIX}.error"
STREAM_SUBJECT: Final = f"{SUBJECT_PREFIX}.stream"

# nats.micro's error headers; a 400 code means the request cannot be translated.
ERROR_HEADER: Final = "Nats-Service-Error"
ERROR_CODE_HEADER: Final = "Nats-Service-Error-Code"


class RequestCall(msgspec.Struct, kw_only=True):
    client: str  # the caller's shape, e.g. "openai-chat"
    backend: str  # the provider's shape, e.g. "anthropic-messages"
    body: bytes
    # What the caller's path says (Gemini names the model and streaming there).
    model: str = ""
    stream: bool | None = None


class RequestReply(msgspec.Struct, kw_only=True):
    body: bytes
    path: str  # in the backend shape's format's convention; the edge maps it onto the provider's
    query: str = ""  # the query string to send the provider (never the caller's)
    headers: dict[str, str]
    stream: bool
    model: str
    context: bytes


class ResponseCall(msgspec.Struct, kw_only=True):
    client: str
    backend: str
    context: bytes
    status: int
    body: bytes


class ResponseReply(msgspec.Struct, kw_only=True):
    status: int
    body: bytes


class StreamCall(msgspec.Struct, kw_only=True):
    client: str
    backend: str
    context: bytes
    state: bytes  # empty on the first call of a stream
    events: list[tuple[str, str]]  # (event name, data) as the provider sent them
    final: bool


class StreamReply(msgspec.Struct, kw_only=True):
    state: bytes
    body: bytes  # the caller's stream bytes (SSE, or NDJSON for Ollama callers), ready to send


encode = msgspec.msgpack.Encoder().encode
