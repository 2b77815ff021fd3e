"""Keys endpoints under /admin/v1/keys; every change goes through KeyStore with the caller as actor,
so it leaves an audit row and reaches the edges through the keys bucket they watch."""

import datetime as dt
from typing import Any, Final

import msgspec
from litestar import delete, get, patch, post
from litestar.handlers import HTTPRouteHandler

from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_contracts import KeyRecord
from ingate_contracts.key_limits import KeyChanges, LimitError, check_changes, parse_expiry
from ingate_nats.keystore import KeyNotFoundError, KeyRevokedError, KeyStore
from ingate_nats.spend import month_of, read_spend


class KeyFields(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The CLI's flags in snake case; absent leaves a field as it is, null removes a limit."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    user: str | msgspec.UnsetType = msgspec.UNSET
    providers: list[str] | msgspec.UnsetType = msgspec.UNSET
    models: list[str] | msgspec.UnsetType = msgspec.UNSET
    rpm: int | msgspec.UnsetType | None = msgspec.UNSET
    tpm: int | msgspec.UnsetType | None = msgspec.UNSET
    per_user_rpm: int | msgspec.UnsetType | None = msgspec.UNSET
    per_user_tpm: int | msgspec.UnsetType | None = msgspec.UNSET
    budget_usd: float | msgspec.UnsetType | None = msgspec.UNSET
    expires: str | msgspec.UnsetType | None = msgspec.UNSET
    log_payloads: bool | msgspec.UnsetType = msgspec.UNSET
    cache_ttl: Any = msgspec.UNSET


# Body field → KeyRecord field, where the CLI's flag name differs from the record's.
_RENAMED: Final = {"user": "user_id", "expires": "expires_at"}
_BODY_NAME: Final = {record: body for body, record in _RENAMED.items()}


def _changes(fields: KeyFields) -> KeyChanges:
    if fields.cache_ttl is not msgspec.UNSET:
        raise AdminError(400, "invalid_request_error", "cache_ttl: the response cache is not available yet")
    given = {f: getattr(fields, f) for f in fields.__struct_fields__ if f != "cache_ttl"}
    values = {_RENAMED.get(f, f): v for f, v in given.items() if v is not msgspec.UNSET}
    for listed in ("providers", "models"):
        if listed in values:
            values[listed] = tuple(values[listed])
    now = dt.datetime.now(dt.UTC)
    try:
        if isinstance(values.get("expires_at"), str):
            # What `ingate keys --expires` takes (30d, 2026-12-31, a zoned time), parsed the same way.
            values["expires_at"] = parse_expiry(values["expires_at"], now)
        return check_changes(KeyChanges(**values), now)
    except LimitError as exc:
        # Named as the caller wrote it: `expires`, not the record's `expires_at`.
        raise AdminError(
            400, "invalid_request_error", f"{_BODY_NAME.get(exc.field, exc.field)} {exc.problem}"
        ) from exc


def _decode(body: bytes) -> KeyFields:
    try:
        return msgspec.json.decode(body, type=KeyFields)
    except msgspec.ValidationError as exc:
        raise AdminError(400, "invalid_request_error", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise AdminError(400, "invalid_request_error", f"malformed JSON: {exc}") from exc


async def _store(runtime: AdminRuntime, actor: str) -> KeyStore:
    return await KeyStore.open(runtime.client, actor=actor)


async def _answers(runtime: AdminRuntime, records: list[KeyRecord]) -> list[dict[str, Any]]:
    spend = await read_spend(runtime.client, [r.key_id for r in records], month_of(dt.datetime.now(dt.UTC)))
    return [
        msgspec.to_builtins(r) | {"id": r.key_id, "spend_usd_this_month": _usd(spend.get(r.key_id))}
        for r in records
    ]


def _usd(micro: int | None) -> float | None:
    return None if micro is None else micro / 1_000_000


async def _one(store: KeyStore, key_id: str) -> KeyRecord:
    for record in await store.records():
        if record.key_id == key_id:
            return record
    raise AdminError(404, "not_found_error", f"no key {key_id!r}")


@get("/admin/v1/keys")
async def list_keys(runtime: AdminRuntime, actor: str) -> list[dict[str, Any]]:
    return await _answers(runtime, await (await _store(runtime, actor)).records())


@post("/admin/v1/keys", status_code=201)
async def create_key(runtime: AdminRuntime, actor: str, body: bytes) -> dict[str, Any]:
    changes = _changes(_decode(body or b"{}"))
    key, record = await (await _store(runtime, actor)).create(attributes=changes)
    return (await _answers(runtime, [record]))[0] | {"key": key}


@get("/admin/v1/keys/{key_id:str}")
async def show_key(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    return (await _answers(runtime, [await _one(await _store(runtime, actor), key_id)]))[0]


@patch("/admin/v1/keys/{key_id:str}")
async def update_key(runtime: AdminRuntime, actor: str, key_id: str, body: bytes) -> dict[str, Any]:
    changes = _changes(_decode(body))
    store = await _store(runtime, actor)
    await _one(store, key_id)
    try:
        record = await store.update(key_id, changes)
    except KeyRevokedError as exc:
        raise AdminError(409, "conflict_error", str(exc)) from exc
    except KeyNotFoundError as exc:
        raise AdminError(404, "not_found_error", str(exc)) from exc
    return (await _answers(runtime, [record]))[0]


@delete("/admin/v1/keys/{key_id:str}", status_code=200)
async def revoke_key(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    store = await _store(runtime, actor)
    await _one(store, key_id)
    return (await _answers(runtime, [await store.revoke(key_id)]))[0]


handlers: list[HTTPRouteHandler] = [list_keys, create_key, show_key, update_key, revoke_key]
