"""The HTTP client the edge sends provider requests with: the one module that names it.

pyreqwest (Rust's reqwest and hyper, on a Tokio runtime of their own) costs the edge about
a third of aiohttp's CPU per request (docs/benchmarks.md, "The upstream HTTP client"). The
rest of the edge sees only `UpstreamClient` and `UpstreamResponse`: a response head, then
the body whole or chunk by chunk, then `release` (the connection goes back to the pool) or
`close` (it is dropped: a provider streaming to a caller who left stops generating).

A failed exchange raises `TimeoutError` (connect or read timeout) or one of
`CLIENT_ERRORS`. The Responses WebSocket keeps aiohttp (`Upstream.websocket_session`):
pyreqwest speaks no WebSocket.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Final

from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import PyreqwestError
from pyreqwest.request import StreamRequest
from pyreqwest.response import Response

# Everything pyreqwest raises for a request that failed; its timeouts are TimeoutErrors too.
CLIENT_ERRORS: Final[tuple[type[Exception], ...]] = (PyreqwestError,)
EXCHANGE_FAILED: Final[tuple[type[Exception], ...]] = (*CLIENT_ERRORS, TimeoutError)
_IDLE_S: Final = 60.0  # an idle pooled connection is closed after this long


class UpstreamResponse:
    """A provider's answer, its head read, its body still to come."""

    __slots__ = ("_request", "_response", "raw_headers", "status")

    def __init__(self, request: StreamRequest, response: Response) -> None:
        self._request: StreamRequest | None = request
        self._response = response
        self.status: int = response.status
        # Names come lowercased (HTTP/1 names are case-insensitive); repeated headers stay repeated.
        self.raw_headers: tuple[tuple[bytes, bytes], ...] = tuple(
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()
        )

    def header(self, name: str) -> str:
        """The first value of header `name`, "" when there is none."""
        return self._response.get_header(name) or ""

    async def read(self) -> bytes:
        """The whole body."""
        return (await self._response.body_reader.bytes()).to_bytes()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: whatever has been received since the last chunk."""
        reader = self._response.body_reader
        while (chunk := await reader.read_chunk()) is not None:
            yield chunk.to_bytes()

    async def release(self) -> None:
        """Done with the response: a connection whose body was read whole is pooled again, one
        with body left unread is dropped. Safe to call again (a stream closed on a departed
        caller is released on the way out too)."""
        request, self._request = self._request, None
        if request is not None:
            with contextlib.suppress(*CLIENT_ERRORS):  # nothing is left to read from it
                await request.__aexit__(None, None, None)

    async def close(self) -> None:
        """Drop the connection, whatever of the body is still unread."""
        await self.release()


class UpstreamClient:
    """One provider's connection pool and timeouts; one per provider, shared by its requests."""

    def __init__(self, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._client: Client = (
            ClientBuilder()
            .connect_timeout(timedelta(seconds=connect_timeout_s))
            # Per read, reset by every read that brings data: a stream may last as long as it flows.
            .read_timeout(timedelta(seconds=read_timeout_s))
            .pool_idle_timeout(timedelta(seconds=_IDLE_S))
            .follow_redirects(False)
            .referer(False)
            # The edge asks for identity encoding and reads usage from the bodies as sent.
            .gzip(False)
            .brotli(False)
            .zstd(False)
            .deflate(False)
            .no_proxy()  # as aiohttp's default: proxy variables in the environment are not used
            .http1_lower_case_headers()  # names as the caller sent them (ASGI lowercases them)
            .build()
        )

    async def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        """Send the request; the answer once its head has arrived."""
        # No read-ahead: with any, the head waits until that many body bytes have come (or the
        # body ended or broke), which would hold a stream's first token and turn a stream that
        # breaks off early into a request that got no answer.
        builder = self._client.request(method, url).headers(headers).streamed_read_buffer_limit(0)
        if body:
            builder = builder.body_bytes(body)
        request = builder.build_streamed()
        response = await request.__aenter__()
        return UpstreamResponse(request, response)

    async def close(self) -> None:
        await self._client.close()
