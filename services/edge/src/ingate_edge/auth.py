"""Who is calling: the Ingate key from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key`,
or the `key` query parameter (Google's convention, as curl users send it).

The `key` parameter is taken out of the query before anything else sees it: the query
goes on upstream, and a caller's Ingate key never does.
"""

from typing import Final
from urllib.parse import unquote_to_bytes

from ingate_contracts import KEY_PREFIX, KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.headers import InboundHeaders
from ingate_edge.limits.access import check_expiry
from ingate_nats import KeyCache

_BEARER = b"bearer "
_KEY_PARAM: Final = b"key"


def extract_key(
    authorization: bytes | None,
    x_api_key: bytes | None,
    x_goog_api_key: bytes | None = None,
    key_param: bytes | None = None,
) -> str | None:
    if authorization is not None and authorization[:7].lower() == _BEARER:
        value = authorization[7:].strip()
        if value:
            return value.decode("latin-1")
    for given in (x_api_key, x_goog_api_key, key_param):
        if given and given.strip():
            return given.strip().decode("latin-1")
    return None


def take_key_param(query: bytes) -> tuple[bytes | None, bytes]:
    """The `key` query parameter (the first, if repeated), and the query without any of them."""
    if not query:
        return None, query
    key: bytes | None = None
    kept: list[bytes] = []
    for field in query.split(b"&"):
        name, _, value = field.partition(b"=")
        # Compared decoded: `k%65y=` is the same parameter to the provider.
        if unquote_to_bytes(name.replace(b"+", b" ")) == _KEY_PARAM:
            if key is None:
                key = unquote_to_bytes(value.replace(b"+", b" "))
            continue
        kept.append(field)
    if key is None:
        return None, query
    return key, b"&".join(kept)


def authenticate_caller(
    keys: KeyCache, inbound: InboundHeaders, now: float, key_param: bytes | None = None
) -> KeyRecord:
    """The caller's key record, from whichever header (or `key_param`) carries the key, unexpired."""
    given = extract_key(inbound.authorization, inbound.x_api_key, inbound.x_goog_api_key, key_param)
    key = authenticate(keys, given)
    check_expiry(key, now)
    return key


def authenticate(keys: KeyCache, key: str | None) -> KeyRecord:
    if not keys.loaded.is_set():
        raise GatewayError(errors.UNAVAILABLE, "Ingate is starting: API keys are not loaded yet")
    if key is None:
        raise GatewayError(
            errors.AUTHENTICATION,
            "Missing Ingate API key: send 'Authorization: Bearer sk-ingate-…', 'x-api-key', "
            "'x-goog-api-key' or '?key='.",
        )
    record = keys.lookup(key)
    if record is None:
        hint = "" if key.startswith(KEY_PREFIX) else " (Ingate keys start with 'sk-ingate-')"
        raise GatewayError(errors.AUTHENTICATION, f"Invalid Ingate API key{hint}.")
    if record.status != "active":
        raise GatewayError(errors.AUTHENTICATION, "This Ingate API key has been revoked.")
    return record
