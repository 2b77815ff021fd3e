"""From a JetStream message's bytes to a validated `RequestRecord`, and from that to a table row.

Everything a record could hold that ClickHouse would refuse (a negative token count, a
status beyond UInt16, a NaN latency) is refused here, at decode time, so the record is
dead-lettered once instead of failing every insert of its batch for ever.
"""

import datetime as dt
import math
from typing import Final

import msgspec

from ingate_contracts import RequestRecord

# The columns of ingate.requests this service writes, in row order. `inserted_at` is the
# table's own default. A new RequestRecord field is stored once a migration adds its column
# and it is named here.
COLUMNS: Final[tuple[str, ...]] = (
    "ts",
    "request_id",
    "key_id",
    "user_id",
    "session_id",
    "provider",
    "model",
    "endpoint",
    "method",
    "status",
    "stream",
    "translated",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost_usd",
    "price_known",
    "latency_ms",
    "ttfb_ms",
    "upstream_ms",
    "request_bytes",
    "response_bytes",
    "error_type",
)

_UINT16_COLUMNS: Final = ("status",)
_UINT32_COLUMNS: Final = ("input_tokens", "output_tokens", "cached_tokens", "request_bytes", "response_bytes")
_FLOAT_COLUMNS: Final = ("cost_usd", "latency_ms", "ttfb_ms", "upstream_ms")
# DateTime64(3) holds far more, but a record outside 1970..2106 is a clock or encoding bug.
_MAX_TS: Final = float(2**32)

_decoder: Final = msgspec.json.Decoder(RequestRecord)


class InvalidRecord(ValueError):
    """A message that is not a storable RequestRecord; the text says why, in one line."""


def decode_record(data: bytes) -> RequestRecord:
    try:
        record = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(f"not a request record: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidRecord(f"not JSON: {exc}") from None
    check_record(record)
    return record


def check_record(record: RequestRecord) -> None:
    if not record.request_id:
        raise InvalidRecord("request_id is empty")
    if not (math.isfinite(record.ts) and 0 <= record.ts < _MAX_TS):
        raise InvalidRecord(f"ts {record.ts!r} is not a Unix time in seconds")
    for name in _UINT16_COLUMNS:
        _check_range(name, getattr(record, name), 2**16 - 1)
    for name in _UINT32_COLUMNS:
        _check_range(name, getattr(record, name), 2**32 - 1)
    for name in _FLOAT_COLUMNS:
        if not math.isfinite(getattr(record, name)):
            raise InvalidRecord(f"{name} is not a finite number")


def to_row(record: RequestRecord) -> tuple[object, ...]:
    """The record as a row of `COLUMNS`, its start time as a UTC datetime."""
    return tuple(
        dt.datetime.fromtimestamp(record.ts, dt.UTC) if name == "ts" else getattr(record, name)
        for name in COLUMNS
    )


def _check_range(name: str, value: int, top: int) -> None:
    if not 0 <= value <= top:
        raise InvalidRecord(f"{name} {value} is outside 0..{top}")
