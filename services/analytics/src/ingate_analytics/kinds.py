"""The kinds of message the consumer stores, each into its own table: request records, captured
payloads, audit rows. A kind says how its messages are decoded, which table and columns take them,
and which id makes two messages the same row (so each is written exactly once).
"""

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ingate_analytics.audit_records import AUDIT_COLUMNS, decode_audit
from ingate_analytics.payload_records import PAYLOAD_COLUMNS, decode_payload
from ingate_analytics.records import COLUMNS, column_lists, decode_record
from ingate_contracts import RequestRecord
from ingate_contracts.audit import AuditEvent
from ingate_contracts.payloads import PayloadRecord
from ingate_contracts.subjects import AUDIT_SUBJECT, PAYLOADS_SUBJECT

Record = RequestRecord | PayloadRecord | AuditEvent


@dataclass(frozen=True)
class RecordKind:
    name: str
    table: str
    columns: tuple[str, ...]
    id_column: str  # the column (and field) naming a row: a redelivery repeats it
    decode: Callable[[bytes], Record] = field(repr=False)
    _getters: tuple[Callable[[Record], object], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        getters = tuple(operator.attrgetter(name) for name in self.columns)
        object.__setattr__(self, "_getters", getters)

    def record_id(self, record: Record) -> str:
        value: str = getattr(record, self.id_column)
        return value

    def to_columns(self, records: Sequence[Record]) -> list[list[object]]:
        return column_lists(records, self.columns, self._getters)

    def existing_sql(self) -> str:
        """Which of some ids are stored. Each table is ordered by (toDate(ts), id): the date bounds
        let ClickHouse skip every other day's parts. Only the kind's own constants are spliced in."""
        return (
            f"SELECT DISTINCT {self.id_column} FROM {self.table} "  # noqa: S608
            "WHERE toDate(ts) BETWEEN {first:Date} AND {last:Date} "
            f"AND {self.id_column} IN {{ids:Array(String)}}"
        )


REQUESTS: Final = RecordKind("request", "ingate.requests", COLUMNS, "request_id", decode_record)
PAYLOADS: Final = RecordKind(
    "payload", "ingate.request_payloads", PAYLOAD_COLUMNS, "request_id", decode_payload
)
AUDIT: Final = RecordKind("audit", "ingate.audit", AUDIT_COLUMNS, "audit_id", decode_audit)

# Subjects whose messages are not request records; every other subject of the events stream
# (`events_subject(provider)`) carries request records.
DEFAULT_KINDS: Final[Mapping[str, RecordKind]] = {PAYLOADS_SUBJECT: PAYLOADS, AUDIT_SUBJECT: AUDIT}
