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
    # Routing: `provider` and `model` above are what answered; `route` is the virtual model name
    # the client asked for, empty when the request named a model directly.
    route: str = ""
    # Upstream attempts made: 1 for a request forwarded once, more after retries or fallbacks,
    # 0 when none was made (refused before forwarding: a bad key, a limit, a malformed body).
    # Records written before the field existed decode as 1.
    attempts: int = 1
    # The error type of every failed attempt, in order, e.g. ["upstream_500", "upstream_unreachable"]:
    # the last attempt's too when it failed, so a request that failed over and then succeeded lists
    # one entry fewer than its attempts.
    attempt_errors: list[str] = msgspec.field(default_factory=list)
