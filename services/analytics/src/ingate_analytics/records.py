"""From a JetStream message's bytes to a validated `RequestRecord`, and from that to a table row.

Everything a record could hold that ClickHouse would refuse (a negative token count, a
status beyond UInt16, a NaN latency) is refused here, at decode time, so the record is
dead-lettered once instead of failing every insert of its batch for ever.
"""

import datetime as dt
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

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
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "usage_estimated",
    "cost_usd",
    "price_known",
    "latency_ms",
    "ttfb_ms",
    "upstream_ms",
    "request_bytes",
    "response_bytes",
    "error_type",
    "route",
    "attempts",
    "attempt_errors",
    "attempt_targets",
    "cache_hit",
    "cost_saved_usd",
)

_UINT16_MAX: Final = 2**16 - 1
_UINT32_MAX: Final = 2**32 - 1
_UINT16_COLUMNS: Final = ("status", "attempts")
_UINT32_COLUMNS: Final = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "request_bytes",
    "response_bytes",
)
_FLOAT_COLUMNS: Final = ("cost_usd", "cost_saved_usd", "latency_ms", "ttfb_ms", "upstream_ms")
# DateTime64(3) holds far more, but a record outside 1970..2106 is a clock or encoding bug.
_MAX_TS: Final = float(2**32)

_decoder: Final = msgspec.json.Decoder(RequestRecord)
_GETTERS: Final = tuple(operator.attrgetter(name) for name in COLUMNS)


T = TypeVar("T")


class InvalidRecord(ValueError):
    """A message that is not a storable RequestRecord; the text says why, in one line."""


def decode_message(decoder: msgspec.json.Decoder[T], data: bytes, what: str) -> T:
    """`data` decoded as `what` (e.g. "a request record"), or InvalidRecord saying why not."""
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(f"not {what}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidRecord(f"not JSON: {exc}") from None


def decode_record(data: bytes) -> RequestRecord:
    record = decode_message(_decoder, data, "a request record")
    check_record(record)
    return record


def check_record(record: RequestRecord) -> None:
    # One expression for the common case, a record that is fine (NaN fails every comparison);
    # the field by field walk, which has the last word, runs only for the others.
    if (
        record.request_id
        and 0 <= record.ts < _MAX_TS
        and 0 <= record.status <= _UINT16_MAX
        and 0 <= record.attempts <= _UINT16_MAX
        and 0 <= record.input_tokens <= _UINT32_MAX
        and 0 <= record.output_tokens <= _UINT32_MAX
        and 0 <= record.cache_read_tokens <= _UINT32_MAX
        and 0 <= record.cache_write_tokens <= _UINT32_MAX
        and 0 <= record.cache_write_1h_tokens <= _UINT32_MAX
        and 0 <= record.reasoning_tokens <= _UINT32_MAX
        and 0 <= record.request_bytes <= _UINT32_MAX
        and 0 <= record.response_bytes <= _UINT32_MAX
        and math.isfinite(record.cost_usd)
        and math.isfinite(record.cost_saved_usd)
        and math.isfinite(record.latency_ms)
        and math.isfinite(record.ttfb_ms)
        and math.isfinite(record.upstream_ms)
    ):
        return
    _explain(record)


def _explain(record: RequestRecord) -> None:
    if not record.request_id:
        raise InvalidRecord("request_id is empty")
    check_ts(record.ts)
    for name in _UINT16_COLUMNS:
        _check_range(name, getattr(record, name), _UINT16_MAX)
    for name in _UINT32_COLUMNS:
        _check_range(name, getattr(record, name), _UINT32_MAX)
    for name in _FLOAT_COLUMNS:
        if not math.isfinite(getattr(record, name)):
            raise InvalidRecord(f"{name} is not a finite number")


def check_ts(ts: float) -> None:
    if not (math.isfinite(ts) and 0 <= ts < _MAX_TS):
        raise InvalidRecord(f"ts {ts!r} is not a Unix time in seconds")


def to_row(record: RequestRecord) -> tuple[object, ...]:
    """The record as a row of `COLUMNS`, its start time as a UTC datetime."""
    return tuple(
        dt.datetime.fromtimestamp(record.ts, dt.UTC) if name == "ts" else getattr(record, name)
        for name in COLUMNS
    )


def to_columns(records: Sequence[RequestRecord]) -> list[list[object]]:
    """The records as one list per column of `COLUMNS`, start times in whole milliseconds.

    The same values as `to_row`, turned sideways: clickhouse-connect takes columns as they
    are, and writes integers into DateTime64(3) as they are, where rows would be regrouped
    and every datetime converted back into a number."""
    return column_lists(records, COLUMNS, _GETTERS)


def column_lists(
    records: Sequence[Any], columns: Sequence[str], getters: Sequence[Callable[[Any], object]]
) -> list[list[object]]:
    """Records of any kind as one list per column (`getters` reads each), `ts` in milliseconds."""
    return [
        [ts_millis(r.ts) for r in records] if name == "ts" else [getter(r) for r in records]
        for name, getter in zip(columns, getters, strict=True)
    ]


def ts_millis(ts: float) -> int:
    """Unix seconds as whole milliseconds, exactly as `datetime.fromtimestamp` rounds (to the
    microsecond, half to even) and clickhouse-connect then truncates: rows written either
    way agree, and so do the days the duplicate lookup derives from `ts`."""
    fraction, whole = math.modf(ts)
    return (int(whole) * 1_000_000 + round(fraction * 1e6)) // 1000


def _check_range(name: str, value: int, top: int) -> None:
    if not 0 <= value <= top:
        raise InvalidRecord(f"{name} {value} is outside 0..{top}")
