"""ASGI plumbing: the request object handlers receive, JSON responses and
paced event streams (SSE or NDJSON) with the drop-after fault built in.

A stream watches ``receive`` for ``http.disconnect`` while it runs: once the
client has gone it stops (raising :class:`ClientGone` from the next event),
since the server would otherwise keep accepting and discarding its output.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from ingate_mock.billing import PromptCache
from ingate_mock.controls import Controls

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

encode = msgspec.json.Encoder().encode

JSON = b"application/json"
SSE = b"text/event-stream; charset=utf-8"
NDJSON = b"application/x-ndjson"
ECHO_FIELD = "mock_received_headers"


class DroppedConnection(Exception):
    """Raised mid-stream on purpose so the server aborts the connection."""


class ClientGone(Exception):
    """Raised mid-stream once the client has disconnected; the app ends the request quietly."""


def sse_data(obj: Any) -> bytes:
    """``data: {json}`` SSE frame (OpenAI style)."""
    return b"data: " + encode(obj) + b"\n\n"


def sse_event(name: bytes, obj: Any) -> bytes:
    """``event: NAME`` + ``data: {json}`` SSE frame (Anthropic, Responses API)."""
    return b"event: " + name + b"\ndata: " + encode(obj) + b"\n\n"


def ndjson(obj: Any) -> bytes:
    """One newline-terminated JSON line (Ollama)."""
    return encode(obj) + b"\n"


class Request:
    """One HTTP exchange: what was received plus helpers to answer it."""

    __slots__ = (
        "_stream",
        "body",
        "controls",
        "headers",
        "method",
        "path",
        "prompt_cache",
        "query",
        "receive",
        "request_id",
        "response_headers",
        "send",
        "streams",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        headers: dict[str, str],
        controls: Controls,
        send: Send,
        receive: Receive,
        streams: set[EventStream],
        request_id: str,
        response_headers: Headers,
        prompt_cache: PromptCache,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.controls = controls
        self.send = send
        self.receive = receive
        self.streams = streams
        self.request_id = request_id
        self.response_headers = response_headers
        self.prompt_cache = prompt_cache  # the instance's, shared by its requests
        self.body = b""
        self.query = ""  # the query string, undecoded
        self._stream: EventStream | None = None

    async def raw(self, status: int, body: bytes, content_type: bytes = JSON) -> None:
        """Send a complete response with the given bytes."""
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            *self.response_headers,
        ]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})

    async def json(self, obj: dict[str, Any], status: int = 200) -> None:
        """Send ``obj`` as JSON, adding the received headers when asked to echo them."""
        if self.controls.echo_headers:
            obj[ECHO_FIELD] = self.headers
        await self.raw(status, encode(obj))

    def stream(self, content_type: bytes = SSE) -> EventStream:
        """A paced event stream for this request (call :meth:`EventStream.open`)."""
        self._stream = EventStream(self, content_type)
        return self._stream

    def finish(self) -> None:
        """Release this request's stream, if any, however the handler ended."""
        if self._stream is not None:
            self._stream.release()


class EventStream:
    """A streamed 200 response whose events honour pacing, drop-after and disconnects.

    While open it counts in ``req.streams``; :meth:`release` (called by
    :meth:`close` and, whatever happened, by the app once the handler returns)
    stops watching the client and uncounts it.
    """

    __slots__ = (
        "_content_type",
        "_drop_after",
        "_gone",
        "_interval",
        "_req",
        "_sent",
        "_tokens",
        "_watcher",
    )

    def __init__(self, req: Request, content_type: bytes) -> None:
        self._req = req
        self._content_type = content_type
        self._interval = req.controls.token_interval_s
        self._drop_after = req.controls.drop_after
        self._sent = 0
        self._tokens = 0
        self._gone = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        headers = [
            (b"content-type", self._content_type),
            (b"cache-control", b"no-cache"),
            *self._req.response_headers,
        ]
        await self._req.send({"type": "http.response.start", "status": 200, "headers": headers})
        self._req.streams.add(self)
        self._watcher = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        """Wait for the client to disconnect (the request body was already read)."""
        while (await self._req.receive())["type"] != "http.disconnect":
            pass
        self._gone.set()

    async def event(self, data: bytes) -> None:
        """Send one event (an SSE frame or an NDJSON line)."""
        if self._gone.is_set():
            raise ClientGone(f"client disconnected after {self._sent} events")
        if self._drop_after is not None and self._sent >= self._drop_after:
            raise DroppedConnection(f"X-Mock-Drop-After: dropped after {self._sent} events")
        await self._req.send({"type": "http.response.body", "body": data, "more_body": True})
        self._sent += 1

    async def token(self, data: bytes) -> None:
        """Send one event carrying a generated token, waiting per the pacing rate."""
        if self._interval and self._tokens:
            # the pause ends early if the client disconnects meanwhile
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gone.wait(), self._interval)
        self._tokens += 1
        await self.event(data)

    async def close(self) -> None:
        """Finish the body (or drop the connection if the drop point was reached)."""
        if self._drop_after is not None and self._sent >= self._drop_after:
            raise DroppedConnection(f"X-Mock-Drop-After: dropped after {self._sent} events")
        await self._req.send({"type": "http.response.body", "body": b"", "more_body": False})
        self.release()

    def release(self) -> None:
        """Stop watching for a disconnect and leave the active-stream count (idempotent)."""
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        self._req.streams.discard(self)
