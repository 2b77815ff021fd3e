"""Keys endpoints under /admin/v1/keys; every change goes through KeyStore with the caller as actor,
so it leaves an audit row and reaches the edges through the keys bucket they watch."""

import datetime as dt
from collections.abc import Mapping
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
    cache_ttl: int | msgspec.UnsetType | None = msgspec.UNSET


# Body field → KeyRecord field, where the CLI's flag name differs from the record's.
_RENAMED: Final = {"user": "user_id", "expires": "expires_at"}
_BODY_NAME: Final = {record: body for body, record in _RENAMED.items()}


def _changes(fields: KeyFields) -> KeyChanges:
    given = {f: getattr(fields, f) for f in fields.__struct_fields__}
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


def decode_key_fields(body: bytes) -> KeyFields:
    """A JSON body as `KeyFields`; a bad one is a 400 that names the field."""
    try:
        return msgspec.json.decode(body, type=KeyFields)
    except msgspec.ValidationError as exc:
        raise AdminError(400, "invalid_request_error", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise AdminError(400, "invalid_request_error", f"malformed JSON: {exc}") from exc


def convert_key_fields(values: Mapping[str, Any]) -> KeyFields:
    """Fields given as text (the console's forms) as `KeyFields`, numbers and booleans read from
    their text; a bad one is the same 400 the JSON body gets."""
    try:
        return msgspec.convert(dict(values), type=KeyFields, strict=False)
    except msgspec.ValidationError as exc:
        raise AdminError(400, "invalid_request_error", str(exc)) from exc


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


# One function per operation, called by the JSON handlers below and by the console's pages alike.


async def list_key_answers(runtime: AdminRuntime, actor: str) -> list[dict[str, Any]]:
    return await _answers(runtime, await (await _store(runtime, actor)).records())


async def create_key_answer(runtime: AdminRuntime, actor: str, fields: KeyFields) -> dict[str, Any]:
    """The new key's answer with, this once, the key itself under `key`."""
    key, record = await (await _store(runtime, actor)).create(attributes=_changes(fields))
    return (await _answers(runtime, [record]))[0] | {"key": key}


async def show_key_answer(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    return (await _answers(runtime, [await _one(await _store(runtime, actor), key_id)]))[0]


async def update_key_answer(
    runtime: AdminRuntime, actor: str, key_id: str, fields: KeyFields
) -> dict[str, Any]:
    changes = _changes(fields)
    store = await _store(runtime, actor)
    await _one(store, key_id)
    try:
        record = await store.update(key_id, changes)
    except KeyRevokedError as exc:
        raise AdminError(409, "conflict_error", str(exc)) from exc
    except KeyNotFoundError as exc:
        raise AdminError(404, "not_found_error", str(exc)) from exc
    return (await _answers(runtime, [record]))[0]


async def revoke_key_answer(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    store = await _store(runtime, actor)
    await _one(store, key_id)
    return (await _answers(runtime, [await store.revoke(key_id)]))[0]


@get("/admin/v1/keys")
async def list_keys(runtime: AdminRuntime, actor: str) -> list[dict[str, Any]]:
    return await list_key_answers(runtime, actor)


@post("/admin/v1/keys", status_code=201)
async def create_key(runtime: AdminRuntime, actor: str, body: bytes) -> dict[str, Any]:
    return await create_key_answer(runtime, actor, decode_key_fields(body or b"{}"))


@get("/admin/v1/keys/{key_id:str}")
async def show_key(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    return await show_key_answer(runtime, actor, key_id)


@patch("/admin/v1/keys/{key_id:str}")
async def update_key(runtime: AdminRuntime, actor: str, key_id: str, body: bytes) -> dict[str, Any]:
    return await update_key_answer(runtime, actor, key_id, decode_key_fields(body))


@delete("/admin/v1/keys/{key_id:str}", status_code=200)
async def revoke_key(runtime: AdminRuntime, actor: str, key_id: str) -> dict[str, Any]:
    return await revoke_key_answer(runtime, actor, key_id)


handlers: list[HTTPRouteHandler] = [list_keys, create_key, show_key, update_key, revoke_key]
