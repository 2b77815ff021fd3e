"""The one record the edge assembles for every request it answers."""

import msgspec
from msgspec import UNSET, UnsetType


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
    # Token kinds overlap as providers bill them: input_tokens includes the cache reads and the
    # cache writes, output_tokens the reasoning tokens.
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0  # the part of input_tokens served from the provider's prompt cache
    cache_write_tokens: int = 0  # the part of input_tokens written to it (5-minute and 1-hour)
    cache_write_1h_tokens: int = 0  # the part of cache_write_tokens written for an hour
    reasoning_tokens: int = 0  # the part of output_tokens the model spent thinking
    # True when a stream reported no usage (or only part of it) and the missing side was
    # estimated from the request's size and the text relayed.
    usage_estimated: bool = False
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
    # The target ("provider/model") of every attempt made, in order; empty for a request that named
    # a provider directly (its one attempt is `provider`/`model`).
    attempt_targets: list[str] = msgspec.field(default_factory=list)
    # Answered from the shared response cache (no upstream call, cost_usd 0); cost_saved_usd is
    # what the answer cost when it was first made.
    cache_hit: bool = False
    cost_saved_usd: float = 0.0
    # Records written before the token kinds were split named the cache reads `cached_tokens`
    # (still in a spool, a journal or the stream): decoded into cache_read_tokens, never written.
    cached_tokens: int | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.cached_tokens is not UNSET:
            self.cache_read_tokens = self.cache_read_tokens or self.cached_tokens
            self.cached_tokens = UNSET
