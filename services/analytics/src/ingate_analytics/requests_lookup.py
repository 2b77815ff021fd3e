"""Answer `ingate requests show|list` and the admin API's `requests`: request records from ingate.requests.

`show` (a query with `request_id`) answers one row: every column this service writes (see
`records.COLUMNS`), `attempts` and `payload`. `attempts` is one object per upstream attempt, in
order: `{"n": 1, "target": "openai/gpt-4o-mini", "error": "upstream_500"}` — `target` the
"provider/model" tried, `error` the error type of a failed attempt ("" for the one that answered).
A rate-limited request made no attempt (`[]`). `payload` is `{request_body, response_body,
truncated, redacted}` when the bodies were captured, else null.

`attempts` of `show` is that list, so the column of the same name (the count) is its length.
`list` answers the records, newest first, without attempts or payloads. Rows are read with
FINAL, so a redelivered record is one row even before ClickHouse merges it away.
"""

import re
import time
from typing import Any, Final

from ingate_analytics.query_rules import (
    SINCE_CONDITION,
    BadQuery,
    check_id,
    check_limit,
    check_since,
    since_parameters,
)
from ingate_analytics.records import COLUMNS
from ingate_analytics.responder import Refusal, Responder
from ingate_analytics.rows import as_objects
from ingate_analytics.usage import IS_ERROR
from ingate_contracts.lookup import MAX_LOOKUP_ROWS, NO_SUCH_REQUEST, LookupReply, RequestsQuery
from ingate_contracts.subjects import REQUESTS_QUERY_SUBJECT

ERRORS_STATUS: Final = "errors"
_STATUS_RE: Final = re.compile(r"^[1-5]\d\d$")
_PAYLOAD_COLUMNS: Final = ("request_body", "response_body", "truncated", "redacted")
# Only constants are spliced into these statements; every value a caller sent is a bound parameter.
_SELECT: Final = f"SELECT {', '.join(COLUMNS)} FROM ingate.requests FINAL"  # noqa: S608
_SHOW_SQL: Final = f"{_SELECT} WHERE request_id = {{request_id:String}} LIMIT 1"
_PAYLOAD_SQL: Final = (
    f"SELECT {', '.join(_PAYLOAD_COLUMNS)} FROM ingate.request_payloads FINAL "  # noqa: S608
    "WHERE request_id = {request_id:String} LIMIT 1"
)


def check_requests_query(query: RequestsQuery) -> None:
    for name in ("request_id", "user", "session", "key_id"):
        check_id(name, getattr(query, name))
    if query.status and query.status != ERRORS_STATUS and not _STATUS_RE.match(query.status):
        raise BadQuery(f"status must be an HTTP status code such as 429, or {ERRORS_STATUS!r}")
    check_since(query.since_s)
    check_limit(query.limit)


def list_sql(query: RequestsQuery, now_s: float) -> tuple[str, dict[str, Any]]:
    """The newest records matching the filters, at most MAX_LOOKUP_ROWS whatever `limit` says."""
    where = [SINCE_CONDITION]
    parameters = {**since_parameters(query.since_s, now_s), "limit": min(query.limit, MAX_LOOKUP_ROWS)}
    for column, name, value in (
        ("user_id", "user", query.user),
        ("session_id", "session", query.session),
        ("key_id", "key_id", query.key_id),
    ):
        if value:
            where.append(f"{column} = {{{name}:String}}")
            parameters[name] = value
    if query.status == ERRORS_STATUS:
        where.append(IS_ERROR)
    elif query.status:
        where.append("status = {status:UInt16}")
        parameters["status"] = int(query.status)
    sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY ts DESC, request_id DESC LIMIT {{limit:UInt32}}"
    return sql, parameters


def attempts_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempts of a record. Failed attempts' errors are listed in order (`attempt_errors`),
    the last attempt's too when it failed; a record stored before targets were recorded has none,
    its one attempt being provider/model (and earlier ones, of a failover, unknown: "")."""
    targets: list[str] = list(record["attempt_targets"])
    errors: list[str] = list(record["attempt_errors"])
    count = max(int(record["attempts"]), len(targets))
    if not targets and count == 1:
        targets = [f"{record['provider']}/{record['model']}"]
    return [
        {
            "n": n,
            "target": targets[n - 1] if n <= len(targets) else "",
            "error": errors[n - 1] if n <= len(errors) else "",
        }
        for n in range(1, count + 1)
    ]


class RequestsResponder(Responder[RequestsQuery]):
    """Serves REQUESTS_QUERY_SUBJECT (or `subject`) in the analytics queue group."""

    what = "requests query"

    query_type = RequestsQuery
    default_subject = REQUESTS_QUERY_SUBJECT

    async def answer(self, query: RequestsQuery) -> LookupReply:
        check_requests_query(query)
        if query.request_id:
            return LookupReply(rows=[await self._show(query.request_id)])
        rows = await self.sink.query(*list_sql(query, time.time()))
        return LookupReply(rows=as_objects(COLUMNS, rows))

    async def _show(self, request_id: str) -> dict[str, Any]:
        found = await self.sink.query(_SHOW_SQL, {"request_id": request_id})
        if not found:
            raise Refusal(NO_SUCH_REQUEST)
        [record] = as_objects(COLUMNS, found)
        record["attempts"] = attempts_of(record)
        payload = await self.sink.query(_PAYLOAD_SQL, {"request_id": request_id})
        record["payload"] = as_objects(_PAYLOAD_COLUMNS, payload)[0] if payload else None
        return record
