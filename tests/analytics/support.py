"""Helpers for the analytics tests: records, publishing, expected totals."""

import itertools
import math
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from nats.js import JetStreamContext

from ingate_analytics import ClickHouseSink
from ingate_contracts import RequestRecord
from ingate_contracts.subjects import ANALYTICS_CONSUMER, EVENTS_SUBJECT_PREFIX
from ingate_contracts.usage import RouteUsage, SessionUsage, UsageReply, UserUsage

_counter = itertools.count()

# requests, input tokens, output tokens, cost, errors: what the rollup tables sum.
Rollup = tuple[int, int, int, float, int]

# How a request ended, as the edge records it: (status, error_type).
OUTCOMES = (
    (200, ""),
    (200, ""),
    (200, ""),
    (200, ""),
    (400, "upstream_400"),
    (429, "rate_limited"),
    (502, "upstream_unreachable"),
    (502, "upstream_stream_broken"),  # the provider's stream broke off after its 200 status line
    (200, "upstream_stream_broken"),  # the same, as recorded before it was recorded as 502
    (499, "client_disconnected"),
)


# What a failed upstream attempt before the last one may have been.
ATTEMPT_ERRORS = ("upstream_500", "upstream_unreachable", "upstream_timeout", "upstream_429")


def is_error(status: int, error_type: str) -> bool:
    """The one definition of a failed request (usage, rollups, dashboards)."""
    return status >= 400 or error_type != ""


@dataclass(frozen=True)
class Lane:
    """What keeps one test's records apart from every other's: its own subject, consumer and ids."""

    tag: str

    @classmethod
    def new(cls) -> "Lane":
        return cls(uuid.uuid4().hex[:10])

    @property
    def subject(self) -> str:
        return f"{EVENTS_SUBJECT_PREFIX}.t{self.tag}"

    @property
    def durable(self) -> str:
        return f"{ANALYTICS_CONSUMER}-t{self.tag}"

    def user(self, n: int) -> str:
        return f"user-{self.tag}-{n}"

    def session(self, n: int) -> str:
        return f"session-{self.tag}-{n}"

    def route(self, n: int) -> str:
        return f"route-{self.tag}-{n}"


def routing(
    rng: random.Random, lane: Lane, routes: int, status: int, error_type: str
) -> tuple[str, int, list[str]]:
    """A request's route, upstream attempts and failed attempts' error types, as an edge with
    routes would record them: a rate-limited request made no attempt, a routed one may have
    failed over (more than one attempt), and a last attempt that failed upstream is listed too."""
    route = "" if rng.random() < 0.4 else lane.route(rng.randrange(routes))
    if error_type == "rate_limited":
        return route, 0, []
    attempts = rng.choice((1, 1, 1, 2, 3)) if route else 1
    failed = [rng.choice(ATTEMPT_ERRORS) for _ in range(attempts - 1)]
    if status >= 500 and error_type.startswith("upstream_"):
        failed.append(error_type)
    return route, attempts, failed


def make_records(
    lane: Lane, count: int, *, users: int = 3, sessions: int = 4, routes: int = 2, seed: int = 0
) -> list[RequestRecord]:
    """Varied records whose numbers are exact in ClickHouse's column types (Float32 latencies,
    costs in 1/1024 dollars), so totals can be compared with ==."""
    rng = random.Random(seed)
    now = time.time()
    records = []
    for _ in range(count):
        n = next(_counter)
        status, error_type = rng.choice(OUTCOMES)
        route, attempts, attempt_errors = routing(rng, lane, routes, status, error_type)
        records.append(
            RequestRecord(
                ts=now - rng.uniform(0, 600),
                request_id=f"req-{lane.tag}-{n}",
                key_id=f"key-{lane.tag}",
                user_id=lane.user(rng.randrange(users)),
                session_id="" if rng.random() < 0.2 else lane.session(rng.randrange(sessions)),
                provider="openai",
                model="gpt-test",
                endpoint="/v1/chat/completions",
                status=status,
                error_type=error_type,
                input_tokens=rng.randrange(0, 5000),
                output_tokens=rng.randrange(0, 2000),
                cost_usd=rng.randrange(0, 512) / 1024,
                latency_ms=rng.randrange(10, 20_000) / 2,
                ttfb_ms=rng.randrange(1, 500) / 4,
                route=route,
                attempts=attempts,
                attempt_errors=attempt_errors,
            )
        )
    return records


async def publish(
    js: JetStreamContext, lane: Lane, records: Iterable[RequestRecord], *, again: bool = False
) -> None:
    """Publish as the edge does (Nats-Msg-Id = request id). `again` publishes under another
    message id, so JetStream stores the copy: what a redelivery looks like to the consumer."""
    for record in records:
        msg_id = f"{record.request_id}-again-{uuid.uuid4().hex[:6]}" if again else record.request_id
        await js.publish(lane.subject, msgspec.json.encode(record), headers={"Nats-Msg-Id": msg_id})


def inclusive_quantile(values: Sequence[float], level: float) -> float:
    """Linear interpolation between closest ranks, as ClickHouse's quantileExactInclusive."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * level
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _totals(records: Sequence[RequestRecord]) -> dict[str, Any]:
    latencies = [r.latency_ms for r in records]
    return {
        "requests": len(records),
        "input_tokens": sum(r.input_tokens for r in records),
        "output_tokens": sum(r.output_tokens for r in records),
        "cost_usd": sum(r.cost_usd for r in records),
        "errors": sum(1 for r in records if is_error(r.status, r.error_type)),
        "p50_ms": inclusive_quantile(latencies, 0.5),
        "p95_ms": inclusive_quantile(latencies, 0.95),
    }


def expected_users(records: Sequence[RequestRecord]) -> list[UserUsage]:
    by_user: dict[str, list[RequestRecord]] = {}
    for record in records:
        by_user.setdefault(record.user_id, []).append(record)
    return [UserUsage(user_id=user, **_totals(group)) for user, group in sorted(by_user.items())]


def expected_sessions(records: Sequence[RequestRecord]) -> list[SessionUsage]:
    by_session: dict[tuple[str, str], list[RequestRecord]] = {}
    for record in records:
        if record.session_id:
            by_session.setdefault((record.session_id, record.user_id), []).append(record)
    return [
        SessionUsage(session_id=session, user_id=user, **_totals(group))
        for (session, user), group in sorted(by_session.items())
    ]


def expected_routes(records: Sequence[RequestRecord]) -> list[RouteUsage]:
    by_route: dict[str, list[RequestRecord]] = {}
    for record in records:
        by_route.setdefault(record.route, []).append(record)
    return [
        RouteUsage(route=route, failovers=sum(1 for r in group if r.attempts > 1), **_totals(group))
        for route, group in sorted(by_route.items())
    ]


# Rows of a lane, duplicates included (no FINAL), and the rollup tables' sums per user and session.
ROWS_SQL = "SELECT count(), uniqExact(request_id) FROM ingate.requests WHERE key_id = {key:String}"
USER_ROLLUP_SQL = (
    "SELECT user_id, countMerge(requests), sumMerge(input_tokens), sumMerge(output_tokens), "
    "sumMerge(cost_usd), countIfMerge(errors) FROM ingate.usage_user_hourly "
    "WHERE startsWith(user_id, {prefix:String}) GROUP BY user_id"
)
SESSION_ROLLUP_SQL = (
    "SELECT session_id, user_id, countMerge(requests), sumMerge(input_tokens), sumMerge(output_tokens), "
    "sumMerge(cost_usd), countIfMerge(errors) FROM ingate.usage_session "
    "WHERE startsWith(user_id, {prefix:String}) GROUP BY session_id, user_id"
)


def lane_parameters(lane: Lane) -> dict[str, str]:
    return {"key": f"key-{lane.tag}", "prefix": f"user-{lane.tag}-"}


async def stored_rows(sink: ClickHouseSink, lane: Lane) -> int:
    """Rows of this lane in ingate.requests, duplicates included (no FINAL)."""
    rows = await sink.query(ROWS_SQL, lane_parameters(lane))
    return int(rows[0][0])


def user_rollup_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Rollup]:
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), float(row[4]), int(row[5])) for row in rows}


def session_rollup_rows(rows: Sequence[Sequence[Any]]) -> dict[tuple[str, str], Rollup]:
    return {
        (row[0], row[1]): (int(row[2]), int(row[3]), int(row[4]), float(row[5]), int(row[6])) for row in rows
    }


async def user_rollup(sink: ClickHouseSink, lane: Lane) -> dict[str, Rollup]:
    """Per user: requests, input and output tokens, cost, errors, from ingate.usage_user_hourly."""
    return user_rollup_rows(await sink.query(USER_ROLLUP_SQL, lane_parameters(lane)))


async def session_rollup(sink: ClickHouseSink, lane: Lane) -> dict[tuple[str, str], Rollup]:
    """Per (session, user): the same sums, from ingate.usage_session."""
    return session_rollup_rows(await sink.query(SESSION_ROLLUP_SQL, lane_parameters(lane)))


def user_rollup_of(users: Sequence[UserUsage]) -> dict[str, Rollup]:
    return {u.user_id: (u.requests, u.input_tokens, u.output_tokens, u.cost_usd, u.errors) for u in users}


def session_rollup_of(sessions: Sequence[SessionUsage]) -> dict[tuple[str, str], Rollup]:
    return {
        (s.session_id, s.user_id): (s.requests, s.input_tokens, s.output_tokens, s.cost_usd, s.errors)
        for s in sessions
    }


def ours(reply: UsageReply, lane: Lane) -> UsageReply:
    """Only the lane's rows: the database holds other tests' records too (and requests
    without a route, of every lane, share the route "")."""
    prefix = f"user-{lane.tag}-"
    return UsageReply(
        users=[u for u in reply.users if u.user_id.startswith(prefix)],
        sessions=[s for s in reply.sessions if s.user_id.startswith(prefix)],
        stats=reply.stats,
        routes=[r for r in reply.routes if r.route.startswith(f"route-{lane.tag}-")],
    )
