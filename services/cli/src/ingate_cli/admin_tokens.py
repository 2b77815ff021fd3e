"""`ingate admin-tokens create|list|revoke`: the bearer tokens of the admin API."""

import argparse
import asyncio
import json
import sys

import msgspec

from ingate_cli.invocation import is_it_running
from ingate_cli.keys import cli_actor
from ingate_config import Settings
from ingate_nats import connect
from ingate_nats.admin_tokens import AdminTokenNotFoundError, AdminTokenStore


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("admin-tokens", help="create, list or revoke admin API tokens")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token; it is shown once")
    create.add_argument("--name", required=True, help="who or what uses it (shown in the audit trail)")
    create.add_argument("--json", action="store_true", help="print the token and its record as JSON")
    actions.add_parser("list", help="every token, without the token itself")
    revoke = actions.add_parser("revoke", help="stop a token working at once")
    revoke.add_argument("name_or_id")


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        client = await connect(settings.nats_url, "ingate-cli", connect_timeout_s=2.0, reconnect=False)
    except Exception:
        print(f"ingate: cannot reach NATS at {settings.nats_url} ({is_it_running()})", file=sys.stderr)
        return 1
    try:
        store = AdminTokenStore(client.jetstream())
        if args.action == "create":
            try:
                token, record = await store.create(args.name, actor=cli_actor())
            except ValueError as exc:
                print(f"ingate: {exc}", file=sys.stderr)
                return 2
            if args.json:
                print(json.dumps(msgspec.to_builtins(record) | {"token": token}))
            else:
                print(f"{token}\n(shown once; id {record.token_id})")
        elif args.action == "list":
            for record in await store.list():
                print(
                    f"{record.token_id}  {record.name}  {record.status}  {record.created_at}  {record.hint}"
                )
        else:
            try:
                record = await store.revoke(args.name_or_id, actor=cli_actor())
            except AdminTokenNotFoundError as exc:
                print(f"ingate: {exc}", file=sys.stderr)
                return 1
            print(f"revoked {record.token_id} ({record.name})")
        return 0
    finally:
        await client.close()
