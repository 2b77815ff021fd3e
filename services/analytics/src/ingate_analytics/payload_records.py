"""From a JetStream message's bytes to a storable `PayloadRecord` (a row of ingate.request_payloads)."""

from typing import Final

import msgspec

from ingate_analytics.records import InvalidRecord, check_ts, decode_message
from ingate_contracts.payloads import PayloadRecord

PAYLOAD_COLUMNS: Final = ("ts", "request_id", "request_body", "response_body", "truncated", "redacted")

_decoder: Final = msgspec.json.Decoder(PayloadRecord)


def decode_payload(data: bytes) -> PayloadRecord:
    payload = decode_message(_decoder, data, "a payload record")
    if not payload.request_id:
        raise InvalidRecord("request_id is empty")
    check_ts(payload.ts)
    return payload
