"""`ingate audit`: who changed which key, limit, provider or route, and when; answered by the
analytics service over NATS. `--json` prints its rows unchanged (`before`/`after` as objects)."""

import argparse
import asyncio
import json
import sys
from typing import Any, Final

from ingate_cli.analytics_link import ask_rows
from ingate_cli.keys import CommandError
from ingate_cli.requests import limit
from ingate_cli.table import text_table
from ingate_cli.usage import parse_since
from ingate_config import Settings
from ingate_contracts.lookup import AuditQuery
from ingate_contracts.subjects import AUDIT_QUERY_SUBJECT
from ingate_nats.lookup import LookupRefused

_HEADERS: Final = ("TIME", "ACTOR", "ACTION", "TARGET", "CHANGE")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    audit = commands.add_parser("audit", help="the audit trail of keys, limits, providers and routes")
    audit.add_argument(
        "--since", type=parse_since, metavar="DURATION", help="how far back: 90s, 30m, 24h or 7d (default)"
    )
    audit.add_argument("--target", default="", help="only changes of this key id, provider or route")
    audit.add_argument("--actor", default="", help="only changes by this actor, e.g. cli:alice")
    audit.add_argument(
        "--limit", type=limit, metavar="N", help=f"at most N rows (default {AuditQuery().limit})"
    )
    audit.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    query = AuditQuery(target=args.target, actor=args.actor)
    if args.since is not None:
        query.since_s = args.since.seconds
    if args.limit is not None:
        query.limit = args.limit
    try:
        rows = asyncio.run(ask_rows(settings.nats_url, AUDIT_QUERY_SUBJECT, query))
    except CommandError as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    except LookupRefused as exc:
        print(f"ingate: the analytics service refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(rows, indent=2) if args.json else render(rows))
    return 0


def render(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No changes."
    cells = [(r["ts"], r["actor"], r["action"], r["target"], change(r["before"], r["after"])) for r in rows]
    return "\n".join(text_table(_HEADERS, cells, len(_HEADERS)))


def change(before: Any, after: Any) -> str:
    """What a change did, in a few words: created, removed, or each field that changed."""
    if before is None and after is None:
        return ""
    if before is None:
        return "created"
    if after is None:
        return "removed"
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [
            f"{name}: {_short(before.get(name))} -> {_short(after.get(name))}"
            for name in sorted({*before, *after})
            if before.get(name) != after.get(name)
        ]
        return "; ".join(changed) or "no change"
    return f"{_short(before)} -> {_short(after)}"


def _short(value: Any) -> str:
    return "-" if value is None else json.dumps(value, separators=(",", ":"))
