"""Answer `ingate usage`: per-user, per-session and per-route totals, computed exactly from ingate.requests.

The service answers rather than the command line reading the database itself because an
embedded (chDB) database may be opened by one process only: the analytics service.
Totals come from `ingate.requests FINAL`, so a row ClickHouse has not merged away yet is
still counted once; percentiles are exact, interpolated between neighbouring latencies.
"""

import time
from typing import Any, Final

import msgspec
from nats.aio.client import Client

from ingate_analytics.query_rules import SINCE_CONDITION, BadQuery, check_id, check_since, since_parameters
from ingate_analytics.responder import Responder
from ingate_analytics.sink import ClickHouseSink
from ingate_contracts.subjects import USAGE_QUERY_SUBJECT
from ingate_contracts.usage import (
    RouteUsage,
    SessionUsage,
    Stats,
    UsageFailure,
    UsageQuery,
    UsageReply,
    UserUsage,
)

# What counts as an error, here, in the rollups (deploy/clickhouse/migrations) and in every
# Grafana panel: a 4xx/5xx (a client gone mid-stream is 499, a provider's broken stream 502),
# or any record the edge gave an error type (an internal failure after a 200 status line went
# out; a broken stream recorded before broken streams were recorded as 502).
IS_ERROR: Final = "(status >= 400 OR error_type != '')"
_TOTALS: Final = (
    "count() AS requests, sum(input_tokens), sum(output_tokens), "
    "sum(cache_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens), countIf(usage_estimated), "
    f"sum(cost_usd), countIf{IS_ERROR}, "
    "quantileExactInclusive(0.5)(latency_ms), quantileExactInclusive(0.95)(latency_ms)"
)
_USERS_KEYS: Final = "user_id"
_SESSIONS_KEYS: Final = "session_id, user_id"
_ROUTES_KEYS: Final = "route"
# A failover: a request that needed more than one upstream attempt (a retry or a fallback target).
_FAILOVERS: Final = "countIf(attempts > 1)"

__all__ = ["IS_ERROR", "BadQuery", "UsageResponder", "check_query", "usage_sql"]


def usage_sql(keys: str, query: UsageQuery, now_s: float, extra: str = "") -> tuple[str, dict[str, Any]]:
    """The statement grouping by `keys`, with the totals (then `extra` columns), and its
    parameters; every value the caller sent is bound."""
    where = [SINCE_CONDITION]
    parameters = since_parameters(query.since_s, now_s)
    if query.user is not None:
        where.append("user_id = {user:String}")
        parameters["user"] = query.user
    if query.session is not None:
        where.append("session_id = {session:String}")
        parameters["session"] = query.session
    if keys == _SESSIONS_KEYS:
        where.append("session_id != ''")
    # Only constants are spliced in; every value the caller sent is a bound parameter.
    columns = f"{keys}, {_TOTALS}, {extra}" if extra else f"{keys}, {_TOTALS}"
    select = f"SELECT {columns} FROM ingate.requests FINAL"  # noqa: S608
    return f"{select} WHERE {' AND '.join(where)} GROUP BY {keys} ORDER BY {keys}", parameters


def check_query(query: UsageQuery) -> None:
    check_since(query.since_s)
    for name, value in (("user", query.user), ("session", query.session)):
        if value is not None:
            check_id(name, value)
    if not query.by:
        raise BadQuery("by must name at least one grouping: user, session or route")


class UsageResponder(Responder[UsageQuery]):
    """Serves USAGE_QUERY_SUBJECT (or `subject`) in the analytics queue group."""

    what = "usage query"
    query_type = UsageQuery
    default_subject = USAGE_QUERY_SUBJECT

    def __init__(
        self, client: Client, sink: ClickHouseSink, stats: Stats, *, subject: str | None = None
    ) -> None:
        super().__init__(client, sink, subject=subject)
        self.stats = stats

    def failure(self, error: str) -> UsageFailure:
        return UsageFailure(error=error)

    async def answer(self, query: UsageQuery) -> UsageReply:
        check_query(query)
        now_s = time.time()
        reply = UsageReply(
            users=[],
            sessions=[],
            stats=msgspec.structs.replace(self.stats),  # a snapshot, not the live counters
        )
        # Only the groupings asked for are computed; each is one exact query.
        if "user" in query.by:
            rows = await self.sink.query(*usage_sql(_USERS_KEYS, query, now_s))
            reply.users = [UserUsage(user_id=row[0], **_totals(row[1:])) for row in rows]
        if "session" in query.by:
            rows = await self.sink.query(*usage_sql(_SESSIONS_KEYS, query, now_s))
            reply.sessions = [
                SessionUsage(session_id=row[0], user_id=row[1], **_totals(row[2:])) for row in rows
            ]
        if "route" in query.by:
            rows = await self.sink.query(*usage_sql(_ROUTES_KEYS, query, now_s, _FAILOVERS))
            reply.routes = [
                RouteUsage(route=row[0], failovers=int(row[-1]), **_totals(row[1:-1])) for row in rows
            ]
        return reply


def _totals(row: tuple[Any, ...]) -> dict[str, Any]:
    (requests, input_tokens, output_tokens, cache_reads, cache_writes, reasoning, estimated, cost, errors,
     p50, p95) = row  # fmt: skip
    return {
        "requests": int(requests),
        "input_tokens": int(input_tokens),
        "output_tokens": int(output_tokens),
        "cache_read_tokens": int(cache_reads),
        "cache_write_tokens": int(cache_writes),
        "reasoning_tokens": int(reasoning),
        "estimated": int(estimated),
        "cost_usd": float(cost),
        "errors": int(errors),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
    }
