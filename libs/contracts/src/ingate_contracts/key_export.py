"""The file `ingate keys export` writes and `ingate keys import` reads: every key's SHA-256 hash and
record, never a key. A hash authenticates nothing by itself; with the file an operator can bring
the key store back after losing NATS, and every key keeps working as before.
"""

import re
from collections.abc import Mapping
from typing import Final, Literal

import msgspec

from ingate_contracts.keys import KeyRecord, key_id_for_hash

KEY_EXPORT_FORMAT: Final = "ingate-keys"
KEY_EXPORT_VERSION: Final = 1
_HASH_RE: Final = re.compile(r"^[0-9a-f]{64}$")


class ExportedKey(msgspec.Struct, kw_only=True, frozen=True):
    key_hash: str
    record: KeyRecord


class KeyExport(msgspec.Struct, kw_only=True, frozen=True):
    format: Literal["ingate-keys"]
    version: Literal[1]
    exported_at: str
    keys: tuple[ExportedKey, ...]


class KeyExportError(ValueError):
    """A file that is not an export of Ingate keys, or holds an entry no store could have written."""


_decode = msgspec.json.Decoder(KeyExport).decode


def read_key_export(data: bytes) -> KeyExport:
    """The export in `data`, every entry checked: a 64-hex-digit hash, the key id it gives, each
    hash once. Raises `KeyExportError` saying what and where."""
    try:
        export = _decode(data)
    except msgspec.ValidationError as exc:
        raise KeyExportError(f"not an Ingate key export: {exc}") from None
    except msgspec.DecodeError as exc:
        raise KeyExportError(f"not JSON: {exc}") from None
    seen: set[str] = set()
    for index, entry in enumerate(export.keys):
        where = f"keys[{index}]"
        if not _HASH_RE.match(entry.key_hash):
            raise KeyExportError(f"{where}.key_hash: not a SHA-256 hash (64 lowercase hex digits)")
        if entry.record.key_id != key_id_for_hash(entry.key_hash):
            raise KeyExportError(f"{where}.record.key_id: does not belong to its key_hash")
        if entry.key_hash in seen:
            raise KeyExportError(f"{where}.key_hash: listed twice")
        seen.add(entry.key_hash)
    return export


def write_key_export(exported_at: str, entries: list[tuple[str, KeyRecord]]) -> bytes:
    export = KeyExport(
        format=KEY_EXPORT_FORMAT,
        version=KEY_EXPORT_VERSION,
        exported_at=exported_at,
        keys=tuple(ExportedKey(key_hash=h, record=r) for h, r in entries),
    )
    return msgspec.json.format(msgspec.json.encode(export), indent=2) + b"\n"


# What restoring one exported record did: stored anew, over another record, over the same one, or
# not at all (another record was there and was kept).
RestoreOutcome = Literal["added", "replaced", "unchanged", "kept"]
RESTORE_OUTCOMES: Final[tuple[RestoreOutcome, ...]] = ("added", "replaced", "unchanged", "kept")


def restore_summary(outcomes: Mapping[RestoreOutcome, int]) -> str:
    """ "2 added, 0 replaced, 1 unchanged, 0 kept": what an import did, in one order always."""
    return ", ".join(f"{outcomes.get(o, 0)} {o}" for o in RESTORE_OUTCOMES)
