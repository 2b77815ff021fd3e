"""A captured request's bodies, as the edge publishes them and `ingate.request_payloads` stores them."""

import msgspec


class PayloadRecord(msgspec.Struct, kw_only=True):
    """One request's bodies, redacted in the edge before they left it.

    `response_body` of a stream is the final message assembled from its events (text, tool
    calls, usage) in the caller's dialect, not the raw chunks.
    """

    request_id: str
    ts: float  # the request's start, Unix seconds (the record's `ts`)
    request_body: str
    response_body: str
    truncated: bool = False  # a body was cut at the size cap
    redacted: bool = False  # something in a body was replaced with [REDACTED]
