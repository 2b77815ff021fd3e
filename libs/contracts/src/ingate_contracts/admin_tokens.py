"""Admin tokens: bearer credentials of the admin API, stored only as their SHA-256 hash."""

import hashlib
import secrets
from typing import Final, Literal

import msgspec

ADMIN_TOKEN_PREFIX: Final = "sk-ingate-admin-"  # noqa: S105 - a prefix, not a secret
_TOKEN_BODY_BYTES: Final = 32


class AdminTokenRecord(msgspec.Struct, kw_only=True, frozen=True):
    token_id: str
    name: str
    created_at: str
    hint: str
    status: Literal["active", "revoked"] = "active"
    revoked_at: str = ""


def generate_admin_token() -> str:
    return ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BODY_BYTES)


def hash_admin_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def admin_token_id(token_hash: str) -> str:
    return f"adm_{token_hash[:16]}"


def admin_token_hint(token: str) -> str:
    return f"{token[: len(ADMIN_TOKEN_PREFIX) + 4]}…{token[-4:]}"
