"""`ingate keys create|list|revoke`: manage API keys in the NATS key bucket."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

import msgspec
from nats.aio.client import Client

from ingate_config import Settings
from ingate_contracts import KeyRecord
from ingate_nats import KeyNotFoundError, KeyStore, connect


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status 1."""


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="create, list and revoke Ingate API keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", default="", help="a label for people, e.g. the app using it")
    create.add_argument("--user", default="", help="the user this key belongs to")
    create.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing = actions.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    revoke = actions.add_parser("revoke", help="revoke a key by its id or by the key itself")
    revoke.add_argument("key", help="key id (key_…) or the key (sk-ingate-…)")
    revoke.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    handlers: dict[str, Callable[[KeyStore, argparse.Namespace], Awaitable[None]]] = {
        "create": _create,
        "list": _list,
        "revoke": _revoke,
    }
    return asyncio.run(_with_store(settings.nats_url, handlers[args.action], args))


async def _with_store(
    url: str, action: Callable[[KeyStore, argparse.Namespace], Awaitable[None]], args: argparse.Namespace
) -> int:
    try:
        client: Client = await connect(url, "ingate-cli", connect_timeout_s=2.0, reconnect=False)
    except Exception:
        print(f"ingate: cannot reach NATS at {url} (is `ingate run` running?)", file=sys.stderr)
        return 1
    try:
        await action(await KeyStore.open(client), args)
        return 0
    except (CommandError, KeyNotFoundError) as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()


async def _create(store: KeyStore, args: argparse.Namespace) -> None:
    _check_label("--name", args.name)
    _check_label("--user", args.user)
    key, record = await store.create(name=args.name, user_id=args.user)
    if args.json:
        print(msgspec.json.encode({"key": key, **msgspec.structs.asdict(record)}).decode())
        return
    print(key)
    print(
        f"created {record.key_id}; store the key now, it is not shown again",
        file=sys.stderr,
    )


async def _list(store: KeyStore, args: argparse.Namespace) -> None:
    records = await store.records()
    if args.json:
        print(msgspec.json.encode(records).decode())
        return
    rows = [("KEY ID", "NAME", "USER", "STATUS", "CREATED", "KEY")]
    rows += [(r.key_id, r.name, r.user_id, r.status, r.created_at, r.hint) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


async def _revoke(store: KeyStore, args: argparse.Namespace) -> None:
    record: KeyRecord = await store.revoke(args.key.strip())
    if args.json:
        print(msgspec.json.encode(record).decode())
    else:
        print(f"revoked {record.key_id}")


def _check_label(flag: str, value: str) -> None:
    if len(value) > 256 or not value.isprintable():
        raise CommandError(f"{flag} must be at most 256 printable characters")
