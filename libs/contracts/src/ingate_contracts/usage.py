"""What `ingate usage` and the analytics service say to each other over NATS request-reply.

The request is a `UsageQuery`; the answer is a `UsageReply`, or a `UsageFailure` whose
`error` says in one line what was wrong. A client tells them apart by the `error` field.
"""

from typing import Final, Literal

import msgspec

# Replicas of the analytics service share the usage subject in this queue group.
USAGE_QUEUE_GROUP: Final = "ingate-analytics"

# Longest user or session id a query may name, as `ingate keys create --user` allows.
MAX_ID_LENGTH: Final = 256


# What totals can be grouped by: `user` (UserUsage), `session` (SessionUsage), `route` (RouteUsage).
Grouping = Literal["user", "session", "route"]
DEFAULT_GROUPINGS: Final[tuple[Grouping, ...]] = ("user", "session")


# Defaults are left out on the wire, so a query that asks what every version answers (no `by`)
# is one an analytics service from before `by` existed answers too.
class UsageQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Totals over the last `since_s` seconds, optionally for one user and/or one session,
    grouped each way `by` names (the reply's other lists stay empty)."""

    user: str | None = None
    session: str | None = None
    since_s: float = 24 * 3600.0
    by: tuple[Grouping, ...] = DEFAULT_GROUPINGS


class Totals(msgspec.Struct, kw_only=True):
    """What every grouping reports of its requests."""

    requests: int
    input_tokens: int  # cache reads and writes included
    output_tokens: int  # reasoning included
    # The kinds priced apart, each part of the sums above; 0 from services that predate them.
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: int = 0  # requests whose usage was (partly) estimated: a stream without a report
    cost_usd: float
    errors: int  # failed requests: a status of 400 or more, or an error type
    p50_ms: float  # latency percentiles
    p95_ms: float


class UserUsage(Totals, kw_only=True):
    user_id: str


class SessionUsage(Totals, kw_only=True):
    session_id: str
    user_id: str


class RouteUsage(Totals, kw_only=True):
    route: str  # the virtual model name; "" for requests that named a model directly
    failovers: int  # requests that made more than one upstream attempt


class Stats(msgspec.Struct, kw_only=True):
    """Counters of the answering analytics process since it started."""

    inserted: int = 0  # rows written to ingate.requests
    duplicates: int = 0  # deliveries of a request id already stored (or twice in one batch)
    dead_lettered: int = 0  # messages that were not storable records
    batches: int = 0  # batches written and acknowledged
    insert_failures: int = 0  # failed write attempts, each retried


class UsageReply(msgspec.Struct, kw_only=True):
    users: list[UserUsage]
    sessions: list[SessionUsage]
    stats: Stats
    routes: list[RouteUsage] = []  # absent from the replies of services that predate routes


class UsageFailure(msgspec.Struct, kw_only=True):
    error: str | None = None
