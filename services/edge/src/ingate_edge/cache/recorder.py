"""The answer on its way to the caller, kept for the cache as it goes (the caller waits for none
of it), with `X-Ingate-Cache` added to its headers."""

from collections.abc import Awaitable, Callable
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]


class AnswerRecorder:
    """An ASGI `send` that passes every message on and keeps the answer's status, content type
    and body, up to `limit` bytes (a larger answer is served, not kept)."""

    __slots__ = ("_limit", "_parts", "_send", "_size", "complete", "content_type", "name", "status", "ttl_s")

    def __init__(self, send: Send, name: str, ttl_s: int, limit: int) -> None:
        self._send = send
        self._limit = limit
        self._parts: list[bytes] | None = []
        self._size = 0
        self.name = name
        self.ttl_s = ttl_s
        self.status = 0
        self.content_type = b""
        self.complete = False  # the last body message went out

    async def __call__(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            headers = list(message.get("headers", ()))
            self.content_type = next((v for n, v in headers if n == b"content-type"), b"")
            headers.append((b"x-ingate-cache", b"miss"))
            message = {**message, "headers": headers}
        elif kind == "http.response.body":
            body: bytes = message.get("body", b"")
            if self._parts is not None and body:
                self._size += len(body)
                if self._size > self._limit:
                    self._parts = None
                else:
                    self._parts.append(body)
            if not message.get("more_body", False):
                self.complete = True
        await self._send(message)

    def body(self) -> bytes | None:
        """The whole answer, or None when it was too large to keep."""
        return None if self._parts is None else b"".join(self._parts)


def with_cache_header(send: Send, value: bytes) -> Send:
    """`send` adding `X-Ingate-Cache: value` to the response's headers."""

    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (b"x-ingate-cache", value)]}
        await send(message)

    return sending
