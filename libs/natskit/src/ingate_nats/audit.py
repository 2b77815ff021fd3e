"""Publishing audit rows: on the events stream, so the analytics service stores each exactly once."""

import logging

import msgspec
from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError

from ingate_contracts.audit import AuditEvent
from ingate_contracts.subjects import AUDIT_SUBJECT

log = logging.getLogger("ingate.audit")

_encode = msgspec.json.Encoder().encode


async def publish_audit(js: JetStreamContext, event: AuditEvent) -> bool:
    """Store one audit row in JetStream; a retried publish is kept once (Nats-Msg-Id).

    False when no stream captures audit rows (a bare NATS that no Ingate service has set up:
    the command line and the admin API set the events stream up before changing anything).
    """
    try:
        await js.publish(AUDIT_SUBJECT, _encode(event), headers={"Nats-Msg-Id": event.audit_id})
    except NoStreamResponseError:
        log.warning(
            "no events stream on this NATS: %s of %s is not in the audit trail", event.action, event.target
        )
        return False
    return True
