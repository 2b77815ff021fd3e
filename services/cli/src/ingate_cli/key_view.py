"""How `ingate keys` shows keys to a person (a table) and to a script (JSON with every field)."""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

import msgspec

from ingate_contracts import KeyRecord

# A table cell for the access lists is cut here; `--json` always has them whole.
_LIST_CELL_CHARS: Final = 40
_SCALES: Final = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def limits_summary(record: KeyRecord) -> str:
    """Access lists and limits in one short line, e.g. `rpm=60 tpm=100k $50/mo providers=openai`
    (and `log-payloads` when its bodies are captured); empty when the key has none."""
    parts = [
        f"{label}={_count(value)}"
        for label, value in (
            ("rpm", record.rpm),
            ("tpm", record.tpm),
            ("user-rpm", record.per_user_rpm),
            ("user-tpm", record.per_user_tpm),
        )
        if value is not None
    ]
    if record.budget_usd is not None:
        parts.append(f"{_usd(record.budget_usd)}/mo")
    for label, items in (("providers", record.providers), ("models", record.models)):
        if items:
            parts.append(f"{label}={_cut(','.join(items))}")
    if record.log_payloads:
        parts.append("log-payloads")
    if record.cache_ttl is not None:
        parts.append(f"cache-ttl={record.cache_ttl}s")
    return " ".join(parts)


def as_table(
    records: Sequence[KeyRecord], spend: Mapping[str, int | None], month: str, now: dt.datetime
) -> str:
    rows = [("KEY ID", "NAME", "USER", "STATUS", "CREATED", "KEY", "LIMITS", "EXPIRES", f"SPEND {month}")]
    rows += [
        (
            r.key_id,
            r.name,
            r.user_id,
            "expired" if r.status == "active" and _expired(r, now) else r.status,
            r.created_at,
            r.hint,
            limits_summary(r) or "-",
            r.expires_at or "-",
            _spend(spend.get(r.key_id, 0)),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def as_json(records: Sequence[KeyRecord], spend: Mapping[str, int | None], month: str) -> str:
    """Every record field, plus the month's spend in USD (null when the stored figure is unreadable)."""
    listed = []
    for record in records:
        micro = spend.get(record.key_id, 0)
        usd = None if micro is None else micro / 1_000_000
        listed.append({**msgspec.structs.asdict(record), "spend_month": month, "spend_usd": usd})
    return msgspec.json.encode(listed).decode()


def _expired(record: KeyRecord, now: dt.datetime) -> bool:
    if record.expires_at is None:
        return False
    try:
        return dt.datetime.fromisoformat(record.expires_at) <= now
    except (ValueError, TypeError):  # not written by us; the edge decides, the list just shows it
        return False


def _count(value: int) -> str:
    for scale, suffix in _SCALES:
        if value >= scale and value % scale == 0:
            return f"{value // scale}{suffix}"
    return str(value)


def _usd(amount: float) -> str:
    return f"${amount:.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.6f}".rstrip("0")


def _spend(micro: int | None) -> str:
    return "?" if micro is None else _usd(micro / 1_000_000)


def _cut(text: str) -> str:
    return text if len(text) <= _LIST_CELL_CHARS else text[: _LIST_CELL_CHARS - 1] + "…"
