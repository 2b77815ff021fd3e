"""Names and wire types that more than one Ingate service relies on."""

from ingate_contracts import key_limits, subjects, translation, usage
from ingate_contracts.keys import (
    KEY_PREFIX,
    KeyRecord,
    KeyStatus,
    generate_key,
    hash_key,
    key_hint,
    key_id_for_hash,
    looks_like_key,
    looks_like_key_id,
)
from ingate_contracts.records import RequestRecord

__all__ = [
    "KEY_PREFIX",
    "KeyRecord",
    "KeyStatus",
    "RequestRecord",
    "generate_key",
    "hash_key",
    "key_hint",
    "key_id_for_hash",
    "key_limits",
    "looks_like_key",
    "looks_like_key_id",
    "subjects",
    "translation",
    "usage",
]
