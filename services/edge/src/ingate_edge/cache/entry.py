"""What the cache keeps of an answer, and the name it is kept under."""

import hashlib

import msgspec


class CachedAnswer(msgspec.Struct, kw_only=True, frozen=True):
    status: int
    content_type: bytes
    body: bytes  # as the caller got it: a whole JSON answer, or a stream's every event
    request_id: str  # the request that made it: its id inside `body` is replaced on a hit
    provider: str
    model: str
    cost_usd: float  # what it cost then: a hit's cost_saved_usd
    expires_at: float  # Unix seconds; the store's own TTL is only the longest any entry lives


def entry_name(scope: str, target: str, path: str, dialect: str, body: bytes) -> str:
    """The entry's name: exact match on who may see it (`scope`: a key id, or "shared"), the
    provider or route, the caller's path and dialect, and the whole request body."""
    digest = hashlib.sha256()
    for part in (scope, target, path, dialect):
        # Each part's length first: no two different sets of parts hash the same bytes.
        data = part.encode()
        digest.update(b"%d:" % len(data))
        digest.update(data)
    digest.update(body)
    return digest.hexdigest()
