"""Usage, requests and audit endpoints under /admin/v1/, answered by the analytics service over NATS."""

import re
from typing import Any, Final

import msgspec
from litestar import get
from litestar.handlers import HTTPRouteHandler
from nats.errors import NoRespondersError

from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_contracts.lookup import (
    MAX_LOOKUP_ROWS,
    NO_SUCH_REQUEST,
    AuditQuery,
    RequestsQuery,
    SeriesGrouping,
    UsageSeriesQuery,
)
from ingate_contracts.subjects import (
    AUDIT_QUERY_SUBJECT,
    REQUESTS_QUERY_SUBJECT,
    USAGE_QUERY_SUBJECT,
    USAGE_SERIES_SUBJECT,
)
from ingate_contracts.usage import UsageQuery
from ingate_nats.lookup import AnalyticsUnavailable, LookupRefused, lookup

_DURATION_RE: Final = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ANSWER_TIMEOUT_S: Final = 5.0


def _seconds(since: str | None, default: float) -> float:
    """`since` as the CLI spells it: 90s, 30m, 24h, 7d."""
    if since is None:
        return default
    match = _DURATION_RE.match(since.strip())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise AdminError(400, "invalid_request_error", "since: expected a duration such as 30m, 24h or 7d")
    return seconds


def _limit(limit: int | None, default: int) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LOOKUP_ROWS:
        raise AdminError(400, "invalid_request_error", f"limit: must be between 1 and {MAX_LOOKUP_ROWS}")
    return limit


async def _rows(runtime: AdminRuntime, subject: str, query: msgspec.Struct) -> list[dict[str, Any]]:
    try:
        return await lookup(runtime.client, subject, query, timeout=_ANSWER_TIMEOUT_S)
    except AnalyticsUnavailable as exc:
        raise AdminError(503, "analytics_unavailable", str(exc)) from exc
    except LookupRefused as exc:
        if str(exc) == NO_SUCH_REQUEST:
            raise AdminError(404, "not_found_error", "no such request") from exc
        raise AdminError(400, "invalid_request_error", str(exc)) from exc


# One function per lookup, called by the JSON handlers below and by the console's pages alike.


async def find_requests(
    runtime: AdminRuntime,
    *,
    user: str = "",
    session: str = "",
    key_id: str = "",
    status: str = "",
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    query = RequestsQuery(
        user=user,
        session=session,
        key_id=key_id,
        status=status,
        since_s=_seconds(since, 24 * 3600.0),
        limit=_limit(limit, 50),
    )
    return await _rows(runtime, REQUESTS_QUERY_SUBJECT, query)


async def find_request(runtime: AdminRuntime, request_id: str) -> dict[str, Any]:
    rows = await _rows(runtime, REQUESTS_QUERY_SUBJECT, RequestsQuery(request_id=request_id))
    if not rows:
        raise AdminError(404, "not_found_error", "no such request")
    return rows[0]


async def find_audit(
    runtime: AdminRuntime,
    *,
    target: str = "",
    changed_by: str = "",
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    query = AuditQuery(
        target=target, actor=changed_by, since_s=_seconds(since, 7 * 24 * 3600.0), limit=_limit(limit, 200)
    )
    return await _rows(runtime, AUDIT_QUERY_SUBJECT, query)


async def find_usage(
    runtime: AdminRuntime, *, user: str | None = None, session: str | None = None, since: str | None = None
) -> Any:
    query = UsageQuery(user=user, session=session, since_s=_seconds(since, 24 * 3600.0))
    try:
        answer = await runtime.client.request(
            USAGE_QUERY_SUBJECT, msgspec.json.encode(query), timeout=_ANSWER_TIMEOUT_S
        )
    except (NoRespondersError, TimeoutError) as exc:
        raise AdminError(503, "analytics_unavailable", "no analytics service answered") from exc
    reply: Any = msgspec.json.decode(answer.data)
    if isinstance(reply, dict) and "error" in reply:
        raise AdminError(400, "invalid_request_error", str(reply["error"]))
    return reply


async def find_usage_series(
    runtime: AdminRuntime,
    *,
    by: SeriesGrouping = "user",
    user: str = "",
    session: str = "",
    since: str | None = None,
    bucket: str | None = None,
) -> list[dict[str, Any]]:
    bucket_s = _seconds(bucket, 3600.0)
    if not bucket_s.is_integer():
        raise AdminError(400, "invalid_request_error", "bucket: must be a whole number of seconds")
    query = UsageSeriesQuery(
        by=by, user=user, session=session, since_s=_seconds(since, 24 * 3600.0), bucket_s=int(bucket_s)
    )
    return await _rows(runtime, USAGE_SERIES_SUBJECT, query)


@get("/admin/v1/requests")
async def list_requests(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    user: str = "",
    session: str = "",
    status: str = "",
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    return await find_requests(runtime, user=user, session=session, status=status, since=since, limit=limit)


@get("/admin/v1/requests/{request_id:str}")
async def show_request(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    request_id: str,
) -> dict[str, Any]:
    return await find_request(runtime, request_id)


@get("/admin/v1/audit")
async def list_audit(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    return await find_audit(runtime, since=since, limit=limit)


@get("/admin/v1/usage")
async def usage(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    user: str | None = None,
    session: str | None = None,
    since: str | None = None,
) -> Any:
    return await find_usage(runtime, user=user, session=session, since=since)


handlers: list[HTTPRouteHandler] = [list_requests, show_request, list_audit, usage]
