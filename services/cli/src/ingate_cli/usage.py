"""`ingate usage`: per-user, per-session or per-route totals, answered by the analytics service over NATS.

The command never opens the database itself: an embedded one belongs to the analytics
service, which may be the only process to open it.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Final, NamedTuple

import msgspec

from ingate_cli.analytics_link import ANSWER_TIMEOUT_S, ask_bytes
from ingate_cli.keys import CommandError
from ingate_cli.table import text_table
from ingate_config import Settings
from ingate_contracts.durations import parse_duration
from ingate_contracts.subjects import USAGE_QUERY_SUBJECT
from ingate_contracts.usage import (
    DEFAULT_GROUPINGS,
    Grouping,
    RouteUsage,
    SessionUsage,
    UsageFailure,
    UsageQuery,
    UsageReply,
    UserUsage,
)

_TOTAL_HEADERS: Final = (
    "REQUESTS", "INPUT TOKENS", "OUTPUT TOKENS", "CACHE READ", "CACHE WRITE", "REASONING", "ESTIMATED",
    "COST USD", "ERRORS", "P50 MS", "P95 MS",
)  # fmt: skip
_GROUPINGS: Final[tuple[Grouping, ...]] = ("user", "session", "route")


class Since(NamedTuple):
    label: str  # as the user wrote it, e.g. "24h"
    seconds: float


def parse_since(text: str) -> Since:
    """A `--since` value, for every command that takes one."""
    try:
        return Since(text.strip(), parse_duration(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    usage = commands.add_parser(
        "usage", help="per-user, per-session or per-route totals (asks the analytics service)"
    )
    usage.add_argument("--user", help="only this user's requests")
    usage.add_argument("--session", help="only this session's requests")
    usage.add_argument(
        "--since",
        type=parse_since,
        default=Since("24h", 24 * 3600.0),
        metavar="DURATION",
        help="how far back to count: 90s, 30m, 24h (default) or 7d",
    )
    usage.add_argument(
        "--by",
        action="append",
        choices=_GROUPINGS,
        help="group totals by user, session or route (with failovers); repeat for several "
        "(default: user and session)",
    )
    usage.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    query = UsageQuery(
        user=args.user, session=args.session, since_s=args.since.seconds, by=groupings(args.by)
    )
    try:
        reply = asyncio.run(ask(settings.nats_url, query))
    except CommandError as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(msgspec.json.encode(reply).decode())
    else:
        print(render(reply, args.since.label, query.by))
    return 0


def groupings(chosen: Sequence[Grouping] | None) -> tuple[Grouping, ...]:
    """The groupings asked for, each once, in the order tables are printed."""
    if not chosen:
        return DEFAULT_GROUPINGS
    return tuple(grouping for grouping in _GROUPINGS if grouping in chosen)


async def ask(url: str, query: UsageQuery, timeout_s: float = ANSWER_TIMEOUT_S) -> UsageReply:
    return _decode(await ask_bytes(url, USAGE_QUERY_SUBJECT, query, timeout_s))


def render(reply: UsageReply, since_label: str, by: Sequence[Grouping] = DEFAULT_GROUPINGS) -> str:
    """One table per grouping asked for, each left out when empty."""
    lines = [f"Usage over the last {since_label}"]
    if "user" in by and reply.users:
        rows = [(_name(u.user_id), *_totals(u)) for u in reply.users]
        lines += ["", *text_table(("USER", *_TOTAL_HEADERS), rows, 1)]
    if "session" in by and reply.sessions:
        rows = [(s.session_id, _name(s.user_id), *_totals(s)) for s in reply.sessions]
        lines += ["", *text_table(("SESSION", "USER", *_TOTAL_HEADERS), rows, 2)]
    if "route" in by and reply.routes:
        rows = [(_name(r.route), *_totals(r), str(r.failovers)) for r in reply.routes]
        lines += ["", *text_table(("ROUTE", *_TOTAL_HEADERS, "FAILOVERS"), rows, 1)]
    if len(lines) == 1:
        # Every request has a user and a route, if only the empty one; not every one a session.
        lines += ["", "No requests." if {"user", "route"} & set(by) else "No requests with a session."]
    return "\n".join(lines)


def _decode(data: bytes) -> UsageReply:
    try:
        failure = msgspec.json.decode(data, type=UsageFailure)
        if failure.error:
            raise CommandError(f"the analytics service refused: {failure.error}")
        return msgspec.json.decode(data, type=UsageReply)
    except msgspec.DecodeError as exc:
        raise CommandError(f"the analytics service sent an answer this command cannot read: {exc}") from None


def _totals(row: UserUsage | SessionUsage | RouteUsage) -> tuple[str, ...]:
    return (
        str(row.requests),
        str(row.input_tokens),
        str(row.output_tokens),
        str(row.cache_read_tokens),
        str(row.cache_write_tokens),
        str(row.reasoning_tokens),
        str(row.estimated),
        f"{row.cost_usd:.6f}",
        str(row.errors),
        f"{row.p50_ms:.1f}",
        f"{row.p95_ms:.1f}",
    )


def _name(user_id: str) -> str:
    return user_id or "(none)"
