"""The key export file: what `read_key_export` accepts and the reason it gives for what it refuses."""

import json
from typing import Any

import pytest

from ingate_contracts import KeyRecord, hash_key, key_id_for_hash
from ingate_contracts.key_export import KeyExportError, read_key_export, write_key_export

_HASH = hash_key("sk-ingate-example-key-for-the-export-tests")
_RECORD = KeyRecord(key_id=key_id_for_hash(_HASH), created_at="2026-01-01T00:00:00Z", name="n", rpm=5)


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(write_key_export("2026-02-01T00:00:00Z", [(_HASH, _RECORD)]))
    document.update(changes)
    return document


def test_what_is_written_is_read_back_the_same() -> None:
    export = read_key_export(write_key_export("2026-02-01T00:00:00Z", [(_HASH, _RECORD)]))
    assert [(e.key_hash, e.record) for e in export.keys] == [(_HASH, _RECORD)]
    assert export.exported_at == "2026-02-01T00:00:00Z"


def _entry(key_hash: str, key_id: str) -> dict[str, Any]:
    return {"key_hash": key_hash, "record": {"key_id": key_id, "created_at": "2026-01-01T00:00:00Z"}}


@pytest.mark.parametrize(
    ("document", "said"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"null", "not an Ingate key export"),
        (_document(format="ingate-keys-2"), "not an Ingate key export"),
        (_document(version=2), "not an Ingate key export"),
        (_document(keys=[{"key_hash": _HASH}]), "not an Ingate key export"),
        (_document(keys=[_entry(_HASH.upper(), _RECORD.key_id)]), "keys[0].key_hash"),
        (_document(keys=[_entry(_HASH[:-1], _RECORD.key_id)]), "keys[0].key_hash"),
        (_document(keys=[_entry("sk-ingate-" + "a" * 54, _RECORD.key_id)]), "keys[0].key_hash"),
        (_document(keys=[_entry(_HASH, "key_000000000000")]), "keys[0].record.key_id"),
        (_document(keys=[_entry(_HASH, _RECORD.key_id), _entry(_HASH, _RECORD.key_id)]), "keys[1].key_hash"),
        (_document(keys=[{"key_hash": _HASH, "record": {"key_id": _RECORD.key_id, "rpm": "many"}}]),
         "not an Ingate key export"),
    ],
)  # fmt: skip
def test_a_bad_export_is_refused_with_where(document: bytes | dict[str, Any], said: str) -> None:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(KeyExportError) as refused:
        read_key_export(data)
    assert said in str(refused.value)
