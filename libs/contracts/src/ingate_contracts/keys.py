"""Ingate API keys: their shape, how they are hashed, and the record stored for each.

A key is shown to its owner once; afterwards only its SHA-256 hash exists anywhere.
"""

import hashlib
import re
import secrets
from typing import Final, Literal

import msgspec

KEY_PREFIX: Final = "sk-ingate-"
_KEY_BODY_BYTES: Final = 24
_KEY_RE: Final = re.compile(r"^sk-ingate-[A-Za-z0-9_-]{16,128}$")
_KEY_ID_RE: Final = re.compile(r"^key_[0-9a-f]{12}$")

KeyStatus = Literal["active", "revoked"]


class KeyRecord(msgspec.Struct, kw_only=True, frozen=True):
    """What the key store holds for one key, under the key's hash. Never the key itself."""

    key_id: str
    name: str = ""
    user_id: str = ""
    created_at: str
    status: KeyStatus = "active"
    revoked_at: str | None = None
    # Enough of the key for a person to recognise it in a list; useless for authentication.
    hint: str = ""
    updated_at: str | None = None
    # Access: empty means every provider / every model. Models are shell-style globs.
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    # Limits: None means unlimited. Per-user limits apply to each distinct X-Ingate-User-Id
    # under the key (requests without one share the key's owner as their user).
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None  # per calendar month, UTC
    per_user_rpm: int | None = None
    per_user_tpm: int | None = None
    expires_at: str | None = None  # ISO 8601, UTC
    # Capture this key's request and response bodies into ingate.request_payloads.
    log_payloads: bool = False
    # Seconds an answer to this key is kept in the shared response cache and served again for
    # the same request; None: not cached unless a request asks (X-Ingate-Cache-TTL).
    cache_ttl: int | None = None

    @property
    def limited(self) -> bool:
        """Whether the edge has anything to check beyond the key being active."""
        return (
            self.rpm is not None
            or self.tpm is not None
            or self.budget_usd is not None
            or self.per_user_rpm is not None
            or self.per_user_tpm is not None
        )


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_BODY_BYTES)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_for_hash(key_hash: str) -> str:
    """A stable public identifier derived from the hash, safe to log and to put on events."""
    return f"key_{key_hash[:12]}"


def key_hint(key: str) -> str:
    return f"{key[: len(KEY_PREFIX) + 4]}…{key[-4:]}"


def looks_like_key(value: str) -> bool:
    return _KEY_RE.match(value) is not None


def looks_like_key_id(value: str) -> bool:
    return _KEY_ID_RE.match(value) is not None
