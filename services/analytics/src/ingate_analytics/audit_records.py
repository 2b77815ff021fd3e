"""From a JetStream message's bytes to a storable `AuditEvent` (a row of ingate.audit)."""

from typing import Final

import msgspec

from ingate_analytics.records import InvalidRecord, check_ts, decode_message
from ingate_contracts.audit import AuditEvent

AUDIT_COLUMNS: Final = ("ts", "audit_id", "actor", "action", "target", "before", "after")

_decoder: Final = msgspec.json.Decoder(AuditEvent)


def decode_audit(data: bytes) -> AuditEvent:
    event = decode_message(_decoder, data, "an audit event")
    if not event.audit_id:
        raise InvalidRecord("audit_id is empty")
    if not event.action:
        raise InvalidRecord("action is empty")
    check_ts(event.ts)
    return event
