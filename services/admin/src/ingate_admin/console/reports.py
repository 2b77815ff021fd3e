"""Report pages: usage (totals and charts), request search and detail, the audit trail.

Rows come from the analytics service through reports_api's functions, the ones the JSON API's
handlers call; when it does not answer, a page says so instead of failing.
"""

from typing import Any, Final, Literal
from urllib.parse import quote

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from ingate_admin.console.charts import METRICS, line_chart
from ingate_admin.console.pages import analytics_notice, page
from ingate_admin.console.sessions import SignedIn
from ingate_admin.errors import AdminError
from ingate_admin.reports_api import find_audit, find_request, find_requests, find_usage, find_usage_series
from ingate_admin.runtime import AdminRuntime

# The columns of a request row the search shows, in order; the detail page shows them all.
REQUEST_COLUMNS: Final = (
    "ts",
    "request_id",
    "user_id",
    "session_id",
    "provider",
    "model",
    "status",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)
# A report page that could not get its rows: 400 for a filter the operator typed, 404 for an
# unknown request id, 503 when the analytics service did not answer.
_NOTICE_STATUS: Final = {400: 400, 404: 404}


def _failed(exc: AdminError) -> tuple[int, str]:
    return _NOTICE_STATUS.get(exc.status, 503), analytics_notice(exc)


@get("/usage")
async def usage_page(
    runtime: AdminRuntime,
    signed: SignedIn,
    by: Literal["user", "session"] = "user",
    user: str = "",
    session: str = "",
    since: str = "24h",
    bucket: str = "1h",
) -> Response[Any]:
    filters = {"by": by, "user": user, "session": session, "since": since, "bucket": bucket}
    group_field = "user_id" if by == "user" else "session_id"
    totals: Any = None
    charts = []
    notices = []
    try:
        totals = await find_usage(runtime, user=user or None, session=session or None, since=since)
    except AdminError as exc:
        notices.append(_failed(exc))
    try:
        series = await find_usage_series(
            runtime, by=by, user=user, session=session, since=since, bucket=bucket
        )
        charts = [line_chart(series, group_field, metric) for metric in METRICS]
    except AdminError as exc:
        notices.append(_failed(exc))
    status = max((code for code, _ in notices), default=200)
    return page(
        "usage.html",
        signed,
        status=status,
        filters=filters,
        totals=totals,
        charts=charts,
        notices=[text for _, text in notices],
    )


@get("/requests")
async def requests_page(
    runtime: AdminRuntime,
    signed: SignedIn,
    user: str = "",
    session: str = "",
    status: str = "",
    since: str = "24h",
    id: str = "",
) -> Response[Any]:
    if id.strip():
        return Redirect(f"/requests/{quote(id.strip(), safe='')}", status_code=303)
    filters = {"user": user, "session": session, "status": status, "since": since}
    try:
        rows = await find_requests(runtime, user=user, session=session, status=status, since=since)
    except AdminError as exc:
        code, notice = _failed(exc)
        return page("requests.html", signed, status=code, filters=filters, rows=[], notice=notice)
    return page("requests.html", signed, filters=filters, rows=rows, columns=REQUEST_COLUMNS, notice="")


@get("/requests/{request_id:str}")
async def request_page(runtime: AdminRuntime, signed: SignedIn, request_id: str) -> Response[Any]:
    try:
        row = await find_request(runtime, request_id)
    except AdminError as exc:
        code, notice = _failed(exc)
        return page("request.html", signed, status=code, request_id=request_id, notice=notice)
    record = {k: v for k, v in row.items() if k not in ("attempts", "payload")}
    attempts = row.get("attempts")
    return page(
        "request.html",
        signed,
        request_id=request_id,
        record=record,
        attempts=attempts if isinstance(attempts, list) else [],
        payload=row.get("payload") if isinstance(row.get("payload"), dict) else None,
        notice="",
    )


@get("/audit")
async def audit_page(
    runtime: AdminRuntime, signed: SignedIn, target: str = "", since: str = "7d"
) -> Response[Any]:
    filters = {"target": target, "since": since}
    try:
        rows = await find_audit(runtime, target=target, since=since)
    except AdminError as exc:
        code, notice = _failed(exc)
        return page("audit.html", signed, status=code, filters=filters, rows=[], notice=notice)
    return page("audit.html", signed, filters=filters, rows=rows, notice="")


handlers: list[HTTPRouteHandler] = [usage_page, requests_page, request_page, audit_page]
