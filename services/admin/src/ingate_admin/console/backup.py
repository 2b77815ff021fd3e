"""Keys backup in the console: export every key's hash and record as the file `ingate keys export`
writes, and import such a file back, as `ingate keys import` does (the same checks, the same
store, the same audit rows)."""

import datetime as dt
from typing import Any, Final

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.handlers import HTTPRouteHandler

from ingate_admin.console.pages import page
from ingate_admin.console.sessions import SignedIn
from ingate_admin.runtime import AdminRuntime
from ingate_contracts.key_export import KeyExportError, read_key_export, restore_summary, write_key_export
from ingate_contracts.key_limits import utc_iso
from ingate_nats.keystore import KeyStore

_FILE_FIELD: Final = "file"


@get("/keys/export")
async def export_keys(runtime: AdminRuntime, signed: SignedIn) -> Response[bytes]:
    store = await KeyStore.open(runtime.client, actor=signed.actor)
    now = dt.datetime.now(dt.UTC)
    data = write_key_export(utc_iso(now), await store.entries())
    name = f"ingate-keys-{now:%Y-%m-%d}.json"
    return Response(
        data,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@get("/keys/import")
async def import_page(signed: SignedIn) -> Response[Any]:
    return page("keys_import.html", signed, error="", summary="")


@post("/keys/import")
async def import_keys(
    request: Request[Any, Any, Any], runtime: AdminRuntime, signed: SignedIn
) -> Response[Any]:
    form = await request.form()
    upload = form.get(_FILE_FIELD)
    try:
        if not isinstance(upload, UploadFile):
            raise KeyExportError("file: choose the file `ingate keys export` (or Export here) wrote")
        export = read_key_export(await upload.read())
    except KeyExportError as exc:
        return page("keys_import.html", signed, status=400, error=str(exc), summary="")
    store = await KeyStore.open(runtime.client, actor=signed.actor)
    outcomes = await store.restore_all(export, replace=form.get("replace") == "on")
    summary = f"Imported {len(export.keys)} keys: {restore_summary(outcomes)}."
    return page("keys_import.html", signed, error="", summary=summary, kept=outcomes["kept"])


handlers: list[HTTPRouteHandler] = [export_keys, import_page, import_keys]
