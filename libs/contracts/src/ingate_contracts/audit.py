"""One row of the audit trail: who changed what, when, and what it was before and after.

Every writer (the command line, the admin API) builds its rows with `audit_event`, which
drops whatever could be a secret, so no row can ever hold a key or a credential.
"""

import secrets
import time
from typing import Any, Final

import msgspec

# Fields never written to the audit trail, whatever struct or mapping they come in.
SECRET_FIELDS: Final = frozenset({"api_key", "key", "token", "key_hash", "token_hash"})

_encode = msgspec.json.Encoder(order="sorted").encode


class AuditEvent(msgspec.Struct, kw_only=True):
    audit_id: str
    ts: float  # Unix seconds
    actor: str  # "cli:<os user>" or "admin:<token name>"
    action: str  # e.g. "key.create", "key.update", "key.revoke", "provider.put", "route.delete"
    target: str  # what changed: a key id, a provider or route name, an admin token's name
    before: str = ""  # JSON of the thing before the change; "" when it did not exist
    after: str = ""  # JSON after the change; "" when it no longer exists


def without_secrets(value: Any) -> Any:
    """`value` as plain JSON data, with every secret field removed at any depth."""
    plain = msgspec.to_builtins(value)
    return _strip(plain)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def audit_event(actor: str, action: str, target: str, before: Any = None, after: Any = None) -> AuditEvent:
    """A row for one change; `before`/`after` are structs or mappings (None: did not exist)."""
    return AuditEvent(
        audit_id=f"aud_{secrets.token_hex(12)}",
        ts=time.time(),
        actor=actor,
        action=action,
        target=target,
        before="" if before is None else _encode(without_secrets(before)).decode(),
        after="" if after is None else _encode(without_secrets(after)).decode(),
    )
