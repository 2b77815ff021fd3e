"""Answer the admin API's `usage/series` (the console's charts): totals per time bucket and per
user or session, computed exactly from ingate.requests FINAL.

A row is `{ts, user_id, requests, tokens, cost_usd, errors}` (with `session_id` before `user_id`
when grouped by session; sessionless requests are left out then): `ts` the bucket's start, buckets
aligned to multiples of `bucket_s` since the Unix epoch, `tokens` input plus output. Rows come in
time order, then by id; an empty bucket has no row.
"""

import math
import time
from typing import Any, Final

from ingate_analytics.query_rules import SINCE_CONDITION, BadQuery, check_id, check_since, since_parameters
from ingate_analytics.responder import Responder
from ingate_analytics.rows import as_objects
from ingate_analytics.usage import IS_ERROR
from ingate_contracts.lookup import LookupReply, UsageSeriesQuery
from ingate_contracts.subjects import USAGE_SERIES_SUBJECT

# Most buckets a series may span: a chart has no use for more, and a query for 1 s buckets over a
# year would be millions of rows.
MAX_BUCKETS: Final = 1000
_KEYS: Final = {"user": ("user_id",), "session": ("session_id", "user_id")}
_TOTALS: Final = ("requests", "tokens", "cost_usd", "errors")
_TOTALS_SQL: Final = f"count(), sum(input_tokens) + sum(output_tokens), sum(cost_usd), countIf{IS_ERROR}"


def check_series_query(query: UsageSeriesQuery) -> None:
    check_id("user", query.user)
    check_id("session", query.session)
    check_since(query.since_s)
    if query.bucket_s < 1:
        raise BadQuery("bucket_s must be at least 1")
    if math.ceil(query.since_s / query.bucket_s) > MAX_BUCKETS:
        raise BadQuery(f"since_s / bucket_s must be at most {MAX_BUCKETS} buckets; ask for wider buckets")


def series_sql(query: UsageSeriesQuery, now_s: float) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The statement, the names of its columns, and its parameters."""
    keys = _KEYS[query.by]
    where = [SINCE_CONDITION]
    parameters = {**since_parameters(query.since_s, now_s), "bucket_s": query.bucket_s}
    if query.user:
        where.append("user_id = {user:String}")
        parameters["user"] = query.user
    if query.session:
        where.append("session_id = {session:String}")
        parameters["session"] = query.session
    if query.by == "session":
        where.append("session_id != ''")
    group = ", ".join(("bucket", *keys))
    # Only constants are spliced in; every value the caller sent is a bound parameter.
    sql = (
        "SELECT toStartOfInterval(ts, toIntervalSecond({bucket_s:UInt32})) AS bucket, "  # noqa: S608
        f"{', '.join(keys)}, {_TOTALS_SQL} FROM ingate.requests FINAL "
        f"WHERE {' AND '.join(where)} GROUP BY {group} ORDER BY {group}"
    )
    return sql, ("ts", *keys, *_TOTALS), parameters


class UsageSeriesResponder(Responder[UsageSeriesQuery]):
    """Serves USAGE_SERIES_SUBJECT (or `subject`) in the analytics queue group."""

    what = "usage series query"
    query_type = UsageSeriesQuery
    default_subject = USAGE_SERIES_SUBJECT

    async def answer(self, query: UsageSeriesQuery) -> LookupReply:
        check_series_query(query)
        sql, columns, parameters = series_sql(query, time.time())
        return LookupReply(rows=as_objects(columns, await self.sink.query(sql, parameters)))
