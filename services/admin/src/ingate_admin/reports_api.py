"""Usage, requests and audit endpoints under /admin/v1/, answered by the analytics service over NATS.

Every default (how far back, how many rows, which bucket) is the query struct's own, so the admin
API and `ingate requests` / `ingate audit` answer the same thing when given the same filters.
"""

from typing import Any, Final

import msgspec
from litestar import get
from litestar.handlers import HTTPRouteHandler

from ingate_admin.errors import AdminError
from ingate_admin.runtime import AdminRuntime
from ingate_contracts.durations import parse_duration
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
from ingate_nats.lookup import AnalyticsUnavailable, LookupRefused, ask_analytics, lookup

_ANSWER_TIMEOUT_S: Final = 5.0


def _seconds(name: str, text: str) -> float:
    """A duration parameter as the CLI spells it: 90s, 30m, 24h, 7d."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise AdminError(400, "invalid_request_error", f"{name}: {exc}") from None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LOOKUP_ROWS:
        raise AdminError(400, "invalid_request_error", f"limit: must be between 1 and {MAX_LOOKUP_ROWS}")
    return limit


def _unavailable(exc: AnalyticsUnavailable) -> AdminError:
    return AdminError(503, "analytics_unavailable", str(exc))


async def _rows(runtime: AdminRuntime, subject: str, query: msgspec.Struct) -> list[dict[str, Any]]:
    try:
        return await lookup(runtime.client, subject, query, timeout=_ANSWER_TIMEOUT_S)
    except AnalyticsUnavailable as exc:
        raise _unavailable(exc) from exc
    except LookupRefused as exc:
        if str(exc) == NO_SUCH_REQUEST:
            raise AdminError(404, "not_found_error", NO_SUCH_REQUEST) from exc
        raise AdminError(400, "invalid_request_error", str(exc)) from exc


@get("/admin/v1/requests")
async def list_requests(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    user: str = "",
    session: str = "",
    key_id: str = "",
    status: str = "",
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    query = RequestsQuery(user=user, session=session, key_id=key_id, status=status)
    if since is not None:
        query.since_s = _seconds("since", since)
    if limit is not None:
        query.limit = _limit(limit)
    return await _rows(runtime, REQUESTS_QUERY_SUBJECT, query)


@get("/admin/v1/requests/{request_id:str}")
async def show_request(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    request_id: str,
) -> dict[str, Any]:
    rows = await _rows(runtime, REQUESTS_QUERY_SUBJECT, RequestsQuery(request_id=request_id))
    if not rows:
        raise AdminError(404, "not_found_error", NO_SUCH_REQUEST)
    return rows[0]


@get("/admin/v1/audit")
async def list_audit(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    target: str = "",
    changed_by: str = "",
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    # `changed_by`, not `actor`: `actor` is the dependency naming the caller.
    query = AuditQuery(target=target, actor=changed_by)
    if since is not None:
        query.since_s = _seconds("since", since)
    if limit is not None:
        query.limit = _limit(limit)
    return await _rows(runtime, AUDIT_QUERY_SUBJECT, query)


@get("/admin/v1/usage/series")
async def usage_series(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    by: SeriesGrouping = "user",
    user: str = "",
    session: str = "",
    since: str | None = None,
    bucket: str | None = None,
) -> list[dict[str, Any]]:
    query = UsageSeriesQuery(by=by, user=user, session=session)
    if since is not None:
        query.since_s = _seconds("since", since)
    if bucket is not None:
        seconds = _seconds("bucket", bucket)
        if not seconds.is_integer():
            raise AdminError(400, "invalid_request_error", "bucket: must be a whole number of seconds")
        query.bucket_s = int(seconds)
    return await _rows(runtime, USAGE_SERIES_SUBJECT, query)


@get("/admin/v1/usage")
async def usage(
    runtime: AdminRuntime,
    actor: str,  # noqa: ARG001 - declaring the caller is what authenticates the call
    user: str | None = None,
    session: str | None = None,
    since: str | None = None,
) -> Any:
    query = UsageQuery(user=user, session=session)
    if since is not None:
        query.since_s = _seconds("since", since)
    try:
        answer = await ask_analytics(runtime.client, USAGE_QUERY_SUBJECT, query, timeout=_ANSWER_TIMEOUT_S)
    except AnalyticsUnavailable as exc:
        raise _unavailable(exc) from exc
    reply: Any = msgspec.json.decode(answer)
    if isinstance(reply, dict) and reply.get("error"):
        raise AdminError(400, "invalid_request_error", str(reply["error"]))
    return reply


handlers: list[HTTPRouteHandler] = [list_requests, show_request, list_audit, usage_series, usage]
