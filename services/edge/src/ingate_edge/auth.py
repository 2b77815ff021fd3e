"""Who is calling: the Ingate key from `Authorization: Bearer` or `x-api-key`."""

from ingate_contracts import KEY_PREFIX, KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_nats import KeyCache

_BEARER = b"bearer "


def extract_key(authorization: bytes | None, x_api_key: bytes | None) -> str | None:
    if authorization is not None and authorization[:7].lower() == _BEARER:
        value = authorization[7:].strip()
        if value:
            return value.decode("latin-1")
    if x_api_key:
        return x_api_key.strip().decode("latin-1")
    return None


def authenticate(keys: KeyCache, key: str | None) -> KeyRecord:
    if not keys.loaded.is_set():
        raise GatewayError(errors.UNAVAILABLE, "Ingate is starting: API keys are not loaded yet")
    if key is None:
        raise GatewayError(
            errors.AUTHENTICATION,
            "Missing Ingate API key: send 'Authorization: Bearer sk-ingate-…' or 'x-api-key'.",
        )
    record = keys.lookup(key)
    if record is None:
        hint = "" if key.startswith(KEY_PREFIX) else " (Ingate keys start with 'sk-ingate-')"
        raise GatewayError(errors.AUTHENTICATION, f"Invalid Ingate API key{hint}.")
    if record.status != "active":
        raise GatewayError(errors.AUTHENTICATION, "This Ingate API key has been revoked.")
    return record
