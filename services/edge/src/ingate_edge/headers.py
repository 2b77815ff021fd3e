"""Splitting the caller's headers into Ingate's own, the key, and what goes upstream.

Hop-by-hop headers (RFC 9110 §7.6.1), the caller's credentials and every
`X-Ingate-*` header stop at the edge; the rest is forwarded as sent.
"""

from typing import Final

from ingate_providers import FORMATS, ProviderFormat

HOP_BY_HOP: Final = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Set again by the HTTP client for the upstream connection, or by the edge itself.
_NOT_FORWARDED: Final = HOP_BY_HOP | {b"host", b"content-length", b"accept-encoding", b"expect"}
RESPONSE_DROPPED: Final = HOP_BY_HOP | {b"content-length", b"x-ingate-request-id", b"date", b"server"}
# Upstreams must answer uncompressed: the edge reads usage from bodies and splices fields in.
_IDENTITY: Final = ("accept-encoding", "identity")
# Headers a format's SDK always sends (and which are forwarded like any other).
_SDK_HEADERS: Final = {fmt.sdk_header: fmt for fmt in FORMATS.values() if fmt.sdk_header is not None}


class InboundHeaders:
    __slots__ = (
        "authorization",
        "cache",
        "cache_ttl",
        "content_length",
        "content_type",
        "forward",
        "provider",
        "sdk",
        "session_id",
        "size",
        "timeout",
        "traceparent",
        "translate",
        "user_id",
        "x_api_key",
        "x_goog_api_key",
    )

    def __init__(self) -> None:
        self.authorization: bytes | None = None
        self.x_api_key: bytes | None = None
        self.x_goog_api_key: bytes | None = None  # Google's SDKs send the key in it
        self.provider: bytes | None = None
        self.translate: bytes | None = None
        self.user_id: bytes | None = None
        self.session_id: bytes | None = None
        self.cache: bytes | None = None  # X-Ingate-Cache (bypass)
        self.cache_ttl: bytes | None = None  # X-Ingate-Cache-TTL
        self.content_type: bytes | None = None
        self.content_length: bytes | None = None
        self.traceparent: bytes | None = None
        self.sdk: ProviderFormat | None = None  # the format whose SDK header the caller sent
        # The official SDKs (OpenAI, Anthropic) say how long they wait: no retry after that.
        self.timeout: bytes | None = None
        self.size = 0
        self.forward: list[tuple[str, str]] = [_IDENTITY]


def split_headers(raw: list[tuple[bytes, bytes]]) -> InboundHeaders:
    parsed = InboundHeaders()
    forward = parsed.forward
    size = 0
    connection_tokens: list[bytes] = []
    for name, value in raw:
        size += len(name) + len(value) + 4
        if name.startswith(b"x-ingate-"):
            _ingate_header(parsed, name, value)
        elif name == b"authorization":
            parsed.authorization = value
        elif name == b"x-api-key":
            parsed.x_api_key = value
        elif name == b"x-goog-api-key":
            parsed.x_goog_api_key = value
        elif name in _NOT_FORWARDED:
            if name == b"content-length":
                parsed.content_length = value
            elif name == b"connection":
                connection_tokens.extend(t.strip().lower() for t in value.split(b","))
        else:
            if name == b"content-type":
                parsed.content_type = value
            elif name == b"traceparent":
                parsed.traceparent = value
            elif name in _SDK_HEADERS:
                parsed.sdk = _SDK_HEADERS[name]
            elif name == b"x-stainless-timeout":
                parsed.timeout = value
            forward.append((name.decode("latin-1"), value.decode("latin-1")))
    parsed.size = size
    if connection_tokens:
        # Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
        named = {t.decode("latin-1") for t in connection_tokens}
        parsed.forward = [(n, v) for n, v in forward if n not in named]
    return parsed


def _ingate_header(parsed: InboundHeaders, name: bytes, value: bytes) -> None:
    if name == b"x-ingate-provider":
        parsed.provider = value
    elif name == b"x-ingate-translate":
        parsed.translate = value
    elif name == b"x-ingate-user-id":
        parsed.user_id = value
    elif name == b"x-ingate-session-id":
        parsed.session_id = value
    elif name == b"x-ingate-cache-ttl":
        parsed.cache_ttl = value
    elif name == b"x-ingate-cache":
        parsed.cache = value


def response_headers(
    raw: tuple[tuple[bytes, bytes], ...], request_id: bytes, dropped: frozenset[bytes] = RESPONSE_DROPPED
) -> list[tuple[bytes, bytes]]:
    """The provider's headers to pass on (names lowercased), without `dropped` ones."""
    headers = [(n.lower(), v) for n, v in raw if n.lower() not in dropped]
    headers.append((b"x-ingate-request-id", request_id))
    return headers


def is_true(value: bytes | None) -> bool:
    return value is not None and value.strip().lower() in (b"true", b"1", b"yes")
