"""The HTTP client the edge sends provider requests with: the one module that names it.

The rest of the edge sees only `UpstreamClient` and `UpstreamResponse`: a response head,
then the body whole or chunk by chunk, then `release` (the connection goes back to the
pool) or `close` (it is dropped: a provider streaming to a caller who left stops
generating). A failed exchange raises `TimeoutError` (connect or read timeout) or one of
`CLIENT_ERRORS`.

It is aiohttp. pyreqwest (Rust's reqwest and hyper) was measured in its place with
`python -m bench --against` (docs/benchmarks.md, "The upstream HTTP client"): a quarter
less edge CPU per non-stream request, but a fifth more per stream, whose every event
crosses from its Tokio thread to the event loop, and stalls of several seconds under
load; so it was not adopted. Swapping the client again means changing this module only.
"""

from collections.abc import AsyncIterator
from typing import Final

import aiohttp
from yarl import URL

# Everything aiohttp raises for a request that failed; its timeouts are TimeoutErrors too.
CLIENT_ERRORS: Final[tuple[type[Exception], ...]] = (aiohttp.ClientError,)
EXCHANGE_FAILED: Final[tuple[type[Exception], ...]] = (*CLIENT_ERRORS, TimeoutError)
_IDLE_S: Final = 60.0  # an idle pooled connection is closed after this long
_URLS_KEPT: Final = 256  # parsed URLs cached per provider; suffixes with ids are unbounded


class UpstreamResponse:
    """A provider's answer, its head read, its body still to come."""

    __slots__ = ("_response", "raw_headers", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status: int = response.status
        self.raw_headers: tuple[tuple[bytes, bytes], ...] = response.raw_headers

    def header(self, name: str) -> str:
        """The first value of header `name`, "" when there is none."""
        return self._response.headers.get(name, "")

    async def read(self) -> bytes:
        """The whole body."""
        return await self._response.read()

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything received since the last chunk, so chunks batch
        up while the caller is busy."""
        return self._response.content.iter_any()

    async def release(self) -> None:
        """Done with the response: a connection whose body was read whole is pooled again.
        Safe to call again."""
        self._response.release()

    async def close(self) -> None:
        """Drop the connection, whatever of the body is still unread."""
        self._response.close()


class UpstreamClient:
    """One provider's connection pool and timeouts; one per provider, shared by its requests.
    Made inside the event loop that uses it."""

    def __init__(self, connect_timeout_s: float, read_timeout_s: float) -> None:
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=connect_timeout_s,
            sock_connect=connect_timeout_s,
            # Per read, reset by every read that brings data: a stream may last as long as it flows.
            sock_read=read_timeout_s,
        )
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=_IDLE_S)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            auto_decompress=False,  # the edge asks for identity encoding and reads usage from bodies
            raise_for_status=False,
            skip_auto_headers=("User-Agent",),
        )
        self._urls: dict[str, URL] = {}

    async def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        """Send the request; the answer once its head has arrived. `url` is sent as it is
        (already percent-encoded)."""
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = URL(url, encoded=True)
            if len(self._urls) < _URLS_KEPT:
                self._urls[url] = parsed
        response = await self._session.request(
            method, parsed, data=body or None, headers=headers, allow_redirects=False
        )
        return UpstreamResponse(response)

    async def close(self) -> None:
        await self._session.close()
