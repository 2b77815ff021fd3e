"""Whether a request uses the cache, and for how long its answer is kept: the key's TTL, or the
request's own `X-Ingate-Cache-TTL`; `X-Ingate-Cache: bypass` skips the cache altogether."""

from typing import Final, NamedTuple

from ingate_contracts.key_limits import CACHE_TTL_MAX_S
from ingate_edge import errors
from ingate_edge.errors import GatewayError

_BYPASS: Final = b"bypass"
_DIGITS: Final = frozenset(b"0123456789")


class CacheChoice(NamedTuple):
    ttl_s: int  # 0: the cache is not used
    bypass: bool  # the caller said so (answered with `X-Ingate-Cache: bypass`)


OFF: Final = CacheChoice(0, False)
BYPASS: Final = CacheChoice(0, True)


def choose(
    key_ttl: int | None, header_ttl: bytes | None, header_cache: bytes | None, max_ttl_s: int
) -> CacheChoice:
    """What the request asks of the cache; a header Ingate cannot read is a 400 naming it."""
    if header_cache is not None:
        if header_cache.strip().lower() != _BYPASS:
            raise GatewayError(
                errors.INVALID_REQUEST, "X-Ingate-Cache: the only value Ingate reads is 'bypass'."
            )
        return BYPASS
    ttl = key_ttl or 0
    if header_ttl is not None:
        text = header_ttl.strip()
        if not text or len(text) > 8 or not set(text) <= _DIGITS or int(text) > CACHE_TTL_MAX_S:
            raise GatewayError(
                errors.INVALID_REQUEST,
                f"X-Ingate-Cache-TTL: must be a whole number of seconds from 0 to {CACHE_TTL_MAX_S}.",
            )
        ttl = int(text)
    return CacheChoice(min(ttl, max_ttl_s), False) if ttl > 0 else OFF
