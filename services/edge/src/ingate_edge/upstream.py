"""Providers as the edge forwards to them: address, injected credential, one pooled client.

Each provider gets one long-lived HTTP client (`upstream_http`: its own connection pool and
timeouts), created when the provider first appears and shared by every request, and, for the
Responses WebSocket only, an aiohttp session made on first use. When the run-time providers
change, a new `Upstreams` takes over the unchanged providers' clients; the clients of the
providers left behind are closed only after a grace, because requests in flight still hold them.
"""

import asyncio
import fnmatch
from typing import Final

import aiohttp

from ingate_config import ProviderConfig
from ingate_edge.upstream_http import UpstreamClient
from ingate_providers import FORMATS, ProviderFormat


class Upstream:
    """One configured provider with its connection pool."""

    def __init__(self, config: ProviderConfig) -> None:
        self.name = config.name
        self.format: ProviderFormat = FORMATS[config.format]
        self.base_url = config.base_url.rstrip("/")
        self.read_timeout_s = config.read_timeout_s
        self.responses_websocket = config.responses_websocket  # serves GET {base_url}/responses upgraded
        self.config: Final = config
        self._models = tuple(config.models) if config.models else None
        self.auth_headers: Final = self.format.credential_headers(config.api_key) if config.api_key else ()
        self._urls: dict[str, str] = {}
        self._client: UpstreamClient | None = None
        self._websocket_session: aiohttp.ClientSession | None = None

    @property
    def client(self) -> UpstreamClient:
        if self._client is None:
            raise RuntimeError(f"upstream {self.name} used before start()")
        return self._client

    @property
    def websocket_session(self) -> aiohttp.ClientSession:
        """The aiohttp session the Responses WebSocket connects with, made on first use (in the
        event loop, which aiohttp needs)."""
        if self._client is None:
            raise RuntimeError(f"upstream {self.name} used before start()")
        if self._websocket_session is None:
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=self.config.connect_timeout_s,
                sock_connect=self.config.connect_timeout_s,
                sock_read=self.config.read_timeout_s,
            )
            self._websocket_session = aiohttp.ClientSession(
                timeout=timeout, auto_decompress=False, skip_auto_headers=("User-Agent",)
            )
        return self._websocket_session

    @property
    def is_open(self) -> bool:
        return self._client is not None

    def open(self) -> None:
        """Create the pool; must run inside the event loop that will use it."""
        self._client = UpstreamClient(self.config.connect_timeout_s, self.config.read_timeout_s)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._websocket_session is not None:
            await self._websocket_session.close()
            self._websocket_session = None

    def accepts(self, dialect: ProviderFormat) -> bool:
        """Whether this provider natively serves requests of `dialect` (no translation)."""
        return dialect.name in self.format.serves

    def url(self, path: str, query: bytes) -> str:
        """`path` (as the provider's base URL takes it) and the caller's query, on this provider,
        as sent (already percent-encoded)."""
        url = self._urls.get(path)
        if url is None:
            url = self.base_url + path
            if len(self._urls) < 256:  # suffixes with ids are unbounded; cache only a few
                self._urls[path] = url
        if query:
            return f"{url}?{query.decode('latin-1')}"
        return url

    def allows_model(self, model: str | None) -> bool:
        if self._models is None or model is None:
            return True
        return any(fnmatch.fnmatchcase(model, pattern) for pattern in self._models)


class Upstreams:
    def __init__(self, providers: dict[str, ProviderConfig], previous: "Upstreams | None" = None) -> None:
        """`previous`: the set this one replaces; its providers whose settings did not change
        are taken over, pool and all, so their warm connections and requests carry on."""
        kept = previous._by_name if previous is not None else {}
        self._by_name: dict[str, Upstream] = {
            name: old if (old := kept.get(name)) is not None and old.config == config else Upstream(config)
            for name, config in providers.items()
        }
        self.names: Final = tuple(sorted(self._by_name))

    def get(self, name: str) -> Upstream | None:
        return self._by_name.get(name)

    def format_name(self, name: str) -> str:
        """The API format of provider `name` ("" for none: a request refused before it had one)."""
        upstream = self._by_name.get(name)
        return "" if upstream is None else upstream.format.name

    def open(self) -> None:
        """Create the pools not created yet (those taken over keep theirs)."""
        for upstream in self._by_name.values():
            if not upstream.is_open:
                upstream.open()

    def left_behind(self, previous: "Upstreams") -> list[Upstream]:
        """The upstreams of `previous` this set did not take over: removed or changed providers."""
        mine = {id(upstream) for upstream in self._by_name.values()}
        return [upstream for upstream in previous._by_name.values() if id(upstream) not in mine]

    async def close(self) -> None:
        for upstream in self._by_name.values():
            await upstream.close()


async def close_after(upstreams: list[Upstream], grace_s: float) -> None:
    """Close pools left behind once requests started on them have had `grace_s` to finish."""
    try:
        await asyncio.sleep(grace_s)
    finally:  # cancelled at shutdown: close at once
        for upstream in upstreams:
            await upstream.close()
