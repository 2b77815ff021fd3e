"""The one record the edge assembles for every request it answers."""

import msgspec


class RequestRecord(msgspec.Struct, kw_only=True):
    """One row-to-be per request: who asked what of which provider, and how it went.

    Empty strings rather than None keep the ClickHouse columns non-nullable.
    """

    ts: float  # request start, Unix seconds
    request_id: str
    key_id: str = ""
    user_id: str = ""
    session_id: str = ""
    provider: str = ""
    model: str = ""
    endpoint: str = ""
    method: str = "POST"
    status: int = 0
    stream: bool = False
    translated: bool = False
    latency_ms: float = 0.0
    ttfb_ms: float = 0.0
    upstream_ms: float = 0.0
    request_bytes: int = 0
    response_bytes: int = 0
    error_type: str = ""
    input_tokens: int = 0  # prompt tokens, cached ones included
    output_tokens: int = 0
    cached_tokens: int = 0  # the part of input_tokens served from the provider's prompt cache
    cost_usd: float = 0.0
    # False when the model has no price in the table: its cost_usd is 0, not free.
    price_known: bool = True
