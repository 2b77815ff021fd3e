"""`ingate keys export|import`: the key store to a file and back, as hashes and records only.

A backup of the keys bucket that outlives NATS: restored into an empty bucket (a new cluster,
a wiped store), every key works again as it did, with its limits, and a revoked key stays revoked.
"""

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Final

from ingate_contracts.key_export import KeyExport, KeyExportError, restore_summary, write_key_export
from ingate_contracts.key_limits import utc_iso
from ingate_nats import KeyStore

EXIT_BAD_FILE: Final = 2
# Far above any real key store (a key's record is under 1 KB); a larger file is not an export.
_MAX_FILE_BYTES: Final = 256 * 1024 * 1024


def add_parsers(actions: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    export = actions.add_parser(
        "export", help="write every key's hash and record (never a key) as JSON, for a backup"
    )
    export.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE (readable by its owner only); default stdout"
    )
    restore = actions.add_parser("import", help="put exported keys back; the same keys work again")
    restore.add_argument("file", metavar="FILE", help="a file `ingate keys export` wrote, or - for stdin")
    restore.add_argument(
        "--replace", action="store_true", help="overwrite keys already stored with a different record"
    )


async def export_keys(store: KeyStore, output: str | None) -> None:
    entries = await store.entries()
    data = write_key_export(utc_iso(dt.datetime.now(dt.UTC)), entries)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        # Hashes authenticate nothing, but the file describes every key: kept private all the same.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    print(f"exported {len(entries)} keys", file=sys.stderr)


def read_import_file(name: str) -> bytes:
    """The file's bytes; `KeyExportError` for one that cannot be read or is too large."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(_MAX_FILE_BYTES + 1)
        else:
            with Path(name).open("rb") as file:
                data = file.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KeyExportError(f"cannot read {name}: {exc.strerror}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise KeyExportError(f"{name} is over {_MAX_FILE_BYTES // (1024 * 1024)} MiB: not a key export")
    return data


async def import_keys(store: KeyStore, export: KeyExport, replace: bool) -> None:
    """An export checked whole before (`read_key_export`), so a bad file changes nothing."""
    outcomes = await store.restore_all(export, replace=replace)
    print(f"imported {len(export.keys)} keys: {restore_summary(outcomes)}")
    if outcomes["kept"]:
        print(
            f"ingate: {outcomes['kept']} keys were already stored with another record and were left "
            "as they are; --replace overwrites them",
            file=sys.stderr,
        )
