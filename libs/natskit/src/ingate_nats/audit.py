"""Publishing audit rows: on the events stream, so the analytics service stores each exactly once."""

import msgspec
from nats.js import JetStreamContext

from ingate_contracts.audit import AuditEvent
from ingate_contracts.subjects import AUDIT_SUBJECT

_encode = msgspec.json.Encoder().encode


async def publish_audit(js: JetStreamContext, event: AuditEvent) -> None:
    """Store one audit row in JetStream; a retried publish is kept once (Nats-Msg-Id)."""
    await js.publish(AUDIT_SUBJECT, _encode(event), headers={"Nats-Msg-Id": event.audit_id})
