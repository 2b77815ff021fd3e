"""Whether a request uses the cache, and for how long: the key's TTL, the request's header,
bypass, the edge's longest TTL; a header Ingate cannot read is a 400 naming it."""

import pytest

from ingate_edge.cache import CacheChoice, choose
from ingate_edge.errors import GatewayError

MAX = 3600


@pytest.mark.parametrize(
    ("key_ttl", "header_ttl", "header_cache", "expected"),
    [
        (None, None, None, CacheChoice(0, False)),
        (300, None, None, CacheChoice(300, False)),
        (300, b"60", None, CacheChoice(60, False)),  # the request's own wins
        (None, b"60", None, CacheChoice(60, False)),
        (300, b"0", None, CacheChoice(0, False)),  # off for this request
        (None, b" 120 ", None, CacheChoice(120, False)),
        (99_999, None, None, CacheChoice(MAX, False)),  # never beyond the edge's longest
        (None, b"2592000", None, CacheChoice(MAX, False)),
        (300, b"60", b"bypass", CacheChoice(0, True)),
        (300, None, b"BYPASS", CacheChoice(0, True)),
    ],
)
def test_what_the_request_asks(
    key_ttl: int | None, header_ttl: bytes | None, header_cache: bytes | None, expected: CacheChoice
) -> None:
    assert choose(key_ttl, header_ttl, header_cache, MAX) == expected


@pytest.mark.parametrize(
    ("header_ttl", "header_cache", "named"),
    [
        (b"soon", None, "X-Ingate-Cache-TTL"),
        (b"-5", None, "X-Ingate-Cache-TTL"),
        (b"1.5", None, "X-Ingate-Cache-TTL"),
        (b"", None, "X-Ingate-Cache-TTL"),
        (b"2592001", None, "X-Ingate-Cache-TTL"),
        (b"9" * 40, None, "X-Ingate-Cache-TTL"),
        (None, b"sometimes", "X-Ingate-Cache"),
        (None, b"", "X-Ingate-Cache"),
    ],
)
def test_a_header_ingate_cannot_read_is_a_400_naming_it(
    header_ttl: bytes | None, header_cache: bytes | None, named: str
) -> None:
    with pytest.raises(GatewayError) as refused:
        choose(300, header_ttl, header_cache, MAX)
    assert refused.value.status == 400
    assert refused.value.message.startswith(named)
