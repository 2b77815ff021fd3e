"""One `response.create` of a Responses WebSocket, served as `POST /v1/responses` with `stream: true`.

The create runs through the proxy itself, as an HTTP request whose ASGI `receive` and `send`
belong to the socket: authentication, limits, routes, provider choice, translation, usage,
the record and every error are exactly those of the HTTP endpoint. What the proxy answers
becomes frames:

- a stream: each SSE event is one text frame holding the event's data (the event JSON,
  `type` included), in order; the `response.created` frame gains
  `"headers": {"X-Ingate-Request-Id": …}` (as the edge's JSON answers do), the id of this
  response's record;
- an error answer (status ≥ 400): one frame `{"type": "error", "status", "error": {…},
  "headers": {…}}`, the shape Codex reads (`status`, and `error.code`/`error.message`),
  `headers` holding the answer's `x-ingate-*`, `retry-after` and rate-limit headers;
- a stream that breaks after it began: an error frame with status 502 (the record says 502
  `upstream_stream_broken`, as over HTTP), or 500 for any other failure once the answer
  began; where HTTP would cut the connection, the socket stays open for the next create.

While a response streams, the proxy's disconnect watcher reads the socket: a client that
goes away cancels the upstream request and the record says 499. A frame that arrives
meanwhile waits for the response to end (at most one; beyond it the socket is not read
until then), as OpenAI serves one response at a time per connection.
"""

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec

from ingate_edge import errors
from ingate_edge.answer import with_request_id_field
from ingate_edge.sse import SseFramer
from ingate_edge.streaming import UpstreamBrokeOff
from ingate_edge.websocket_history import FinishedResponse, decode_finished

Message = dict[str, Any]
App = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

_FINISHED: Final = frozenset({"response.completed", "response.incomplete"})
_FRAME_HEADERS: Final = (b"x-ingate-", b"x-ratelimit-")
_FRAME_HEADER_NAMES: Final = frozenset({b"retry-after", b"x-request-id"})
_STREAM_TYPE: Final = b"text/event-stream"


class _EventType(msgspec.Struct):
    type: str = ""


_decode_type = msgspec.json.Decoder(_EventType).decode
_encode = msgspec.json.Encoder().encode


class ResponseRelay:
    """The ASGI side of one create: the request body in, the proxy's answer out as frames."""

    __slots__ = (
        "_body",
        "_buffer",
        "_created",
        "_framer",
        "_headers",
        "_next_frame",
        "_send_text",
        "_status",
        "_stream",
        "finished",
    )

    def __init__(
        self,
        body: bytes,
        send_text: Callable[[str], Awaitable[None]],
        next_frame: Callable[[], Awaitable[Message]],
    ) -> None:
        self._body: bytes | None = body
        self._send_text = send_text
        self._next_frame = next_frame  # returns once the client has gone (other frames wait)
        self._framer = SseFramer()
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._stream = False
        self._created = False
        self._buffer: list[bytes] = []
        self.finished: FinishedResponse | None = None  # the response a follow-up may continue

    async def run(self, proxy: App, scope: Message) -> None:
        # What the proxy raises once an answer has begun (an HTTP connection would be aborted);
        # the proxy has logged it and the record says why; the socket outlives the response.
        try:
            await proxy(scope, self.receive, self.send)
        except UpstreamBrokeOff:
            broken = errors.UPSTREAM_STREAM_BROKEN
            code, message, status = broken.code, "The provider's stream broke off.", broken.status
        except OSError:
            raise  # the client is gone: nothing to tell it
        except Exception:
            code, message, status = "internal_error", "Internal gateway error.", 500
        else:
            return
        await self._send_text(error_frame(status, b"", self._headers, code, message))

    async def receive(self) -> Message:
        body = self._body
        if body is not None:
            self._body = None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._next_frame()  # returns only when the client has gone
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
            self._headers = message.get("headers", [])
            content_type = next((v for n, v in self._headers if n == b"content-type"), b"")
            self._stream = self._status < 300 and content_type.lower().startswith(_STREAM_TYPE)
            return
        chunk: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if self._stream:
            events = self._framer.feed(chunk) if chunk else []
            if not more:
                events.extend(self._framer.flush())
            for name, data in events:
                await self._relay(name, data)
            return
        self._buffer.append(chunk)
        if not more:
            await self._send_text(self._whole_answer(b"".join(self._buffer)))

    async def _relay(self, name: str, data: str) -> None:
        if not data or data == "[DONE]":
            return
        kind = name or _event_type(data)
        if not self._created and kind == "response.created":
            self._created = True
            data = with_request_id_field(data.encode(), _request_id(self._headers)).decode()
        elif kind in _FINISHED:
            with contextlib.suppress(msgspec.DecodeError):  # relayed as it came; no continuation
                self.finished = decode_finished(data).response
        await self._send_text(data)

    def _whole_answer(self, body: bytes) -> str:
        if self._status >= 400:
            return error_frame(self._status, body, self._headers)
        # A whole (unstreamed) success: what a stream would have ended with.
        try:
            self.finished = decode_finished(b'{"response":' + body + b"}").response
        except msgspec.DecodeError:
            return error_frame(
                502, b"", self._headers, "bad_upstream_answer", "The provider's answer is not JSON."
            )
        return '{"type":"response.completed","response":' + body.decode("utf-8", "replace") + "}"


def error_frame(
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    code: str = "",
    message: str = "",
) -> str:
    """An error answer as the frame a Responses WebSocket client expects.

    `body` is the error answer's (OpenAI's envelope `{"error": {…}}` is unwrapped); without
    one, `code` and `message` say what happened."""
    error: Any = None
    if body:
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
            error = decoded["error"]
        else:
            message = body[:500].decode("utf-8", "replace")
    if error is None:
        request_id = _request_id(headers)
        error = {"type": "api_error", "code": code or "upstream_error", "message": message, "param": None}
        if request_id:
            error["request_id"] = request_id
    kept = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if name.startswith(_FRAME_HEADERS) or name in _FRAME_HEADER_NAMES
    }
    return _encode({"type": "error", "status": status, "error": error, "headers": kept}).decode()


def _event_type(data: str) -> str:
    try:
        return _decode_type(data).type
    except msgspec.DecodeError:
        return ""


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    return next((v.decode("latin-1") for n, v in headers if n == b"x-ingate-request-id"), "")
