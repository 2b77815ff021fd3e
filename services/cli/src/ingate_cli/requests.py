"""`ingate requests show|list`: the request log, answered by the analytics service over NATS.

`--json` prints what the analytics service answers, unchanged: `show` one object (every
`requests` column, `attempts`, `payload`), `list` an array of records named as the columns.
"""

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any, Final

from ingate_cli.analytics_link import ask_rows
from ingate_cli.invocation import typed
from ingate_cli.keys import CommandError
from ingate_cli.table import text_table
from ingate_cli.usage import parse_since
from ingate_config import Settings
from ingate_contracts.lookup import MAX_LOOKUP_ROWS, NO_SUCH_REQUEST, RequestsQuery
from ingate_contracts.subjects import REQUESTS_QUERY_SUBJECT
from ingate_nats.lookup import LookupRefused

_LIST_HEADERS: Final = (
    "TIME", "REQUEST ID", "USER", "SESSION", "MODEL", "ERROR",
    "STATUS", "IN", "OUT", "COST USD", "LATENCY MS",
)  # fmt: skip
# The record's fields `show` prints first, in this order; every other column follows.
_SHOW_FIRST: Final = (
    "ts",
    "request_id",
    "status",
    "error_type",
    "provider",
    "model",
    "user_id",
    "session_id",
)


def limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LOOKUP_ROWS:
        raise argparse.ArgumentTypeError(
            f"expected a number of rows from 1 to {MAX_LOOKUP_ROWS}, got {text!r}"
        )
    return value


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    requests = commands.add_parser(
        "requests", help="look up request records: one with its attempts and payload, or a list"
    )
    actions = requests.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="one request: its record, attempts and payload (if captured)")
    show.add_argument("request_id", metavar="REQUEST_ID")
    show.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing = actions.add_parser("list", help="requests, newest first")
    listing.add_argument("--user", default="", help="only this user's requests")
    listing.add_argument("--session", default="", help="only this session's requests")
    listing.add_argument("--status", default="", metavar="CODE|errors", help="a status code, or every error")
    listing.add_argument(
        "--since", type=parse_since, metavar="DURATION", help="how far back: 90s, 30m, 24h (default) or 7d"
    )
    listing.add_argument(
        "--limit", type=limit, metavar="N", help=f"at most N rows (default {RequestsQuery().limit})"
    )
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    query = RequestsQuery()
    if args.action == "show":
        query.request_id = args.request_id.strip()
    else:
        query.user, query.session, query.status = args.user, args.session, args.status.strip()
        if args.since is not None:
            query.since_s = args.since.seconds
        if args.limit is not None:
            query.limit = args.limit
    try:
        rows = asyncio.run(ask_rows(settings.nats_url, REQUESTS_QUERY_SUBJECT, query))
    except CommandError as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    except LookupRefused as exc:
        reason = (
            f"{exc}: {query.request_id}"
            if str(exc) == NO_SUCH_REQUEST
            else f"the analytics service refused: {exc}"
        )
        print(f"ingate: {reason}", file=sys.stderr)
        return 1
    if args.action == "show":
        print(json.dumps(rows[0], indent=2) if args.json else render_request(rows[0]))
    else:
        print(json.dumps(rows, indent=2) if args.json else render_list(rows))
    return 0


def render_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No requests."
    cells = [
        (
            row["ts"], row["request_id"], row["user_id"] or "-", row["session_id"] or "-",
            f"{row['provider']}/{row['model']}", row["error_type"], str(row["status"]),
            str(row["input_tokens"]), str(row["output_tokens"]), f"{row['cost_usd']:.6f}",
            f"{row['latency_ms']:.1f}",
        )
        for row in rows
    ]  # fmt: skip
    return "\n".join(text_table(_LIST_HEADERS, cells, 6))


def render_request(record: dict[str, Any]) -> str:
    """The record as `name: value` lines, then its attempts, then its payload (or that there is none)."""
    fields = [*_SHOW_FIRST, *(k for k in record if k not in {*_SHOW_FIRST, "attempts", "payload"})]
    width = max(len(name) for name in fields)
    lines = [f"{name.ljust(width)}  {_value(record[name])}" for name in fields]
    attempts = record["attempts"]
    lines += ["", f"Attempts ({len(attempts)})" if attempts else "Attempts: none (answered by Ingate itself)"]
    if attempts:
        cells = [(str(a["n"]), a["target"] or "(unknown)", a["error"] or "ok") for a in attempts]
        lines += ["  " + line for line in text_table(("#", "TARGET", "RESULT"), cells, 3)]
    payload = record["payload"]
    if payload is None:
        lines += ["", f"Payload: not captured (see `{typed('keys create --log-payloads')}`)"]
    else:
        notes = [note for note in ("truncated", "redacted") if payload[note]]
        lines += ["", f"Payload{' (' + ', '.join(notes) + ')' if notes else ''}"]
        lines += [
            "  request:",
            _indented(payload["request_body"]),
            "  response:",
            _indented(payload["response_body"]),
        ]
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if value == "":
        return "-"
    return str(value)


def _indented(body: str) -> str:
    """A body, pretty-printed when it is JSON, indented under its heading."""
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    return "\n".join(f"    {line}" for line in (body or "(empty)").splitlines())
