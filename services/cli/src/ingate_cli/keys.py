"""`ingate keys create|list|update|revoke|export|import`: manage API keys in the NATS key bucket."""

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, NamedTuple

import msgspec
from nats.aio.client import Client

from ingate_cli import key_view, keys_backup
from ingate_cli.invocation import is_it_running
from ingate_config import Settings
from ingate_contracts import KeyRecord
from ingate_contracts.key_export import KeyExportError, read_key_export
from ingate_contracts.key_limits import (
    CLEAR,
    KeyChanges,
    LimitError,
    advisories,
    parse_changes,
    unknown_providers,
)
from ingate_nats import KeyNotFoundError, KeyStore, connect, ensure_event_streams
from ingate_nats.keystore import KeyConflictError, KeyRevokedError
from ingate_nats.spend import month_of, read_spend

# Exit statuses: 2 for arguments that cannot be right (as argparse), 1 for everything else.
EXIT_FAILED: Final = 1
EXIT_BAD_ARGUMENTS: Final = 2


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status 1."""


class _Flag(NamedTuple):
    flag: str
    field: str  # the KeyRecord field it sets, also the keyword of `parse_changes`
    metavar: str
    help: str
    repeatable: bool = False
    switch: bool = False  # given alone, the flag means "true"


_FLAGS: Final = (
    _Flag("--name", "name", "NAME", "a label for people, e.g. the app using it"),
    _Flag("--user", "user_id", "USER", "the user this key belongs to"),
    _Flag("--providers", "providers", "P1,P2", "providers the key may use (default: all)", True),
    _Flag("--models", "models", "GLOB,…", "models the key may use, shell-style globs like 'gpt-4o*'", True),
    _Flag("--rpm", "rpm", "N", "requests per minute for the whole key"),
    _Flag("--tpm", "tpm", "N", "tokens per minute for the whole key"),
    _Flag("--budget-usd", "budget_usd", "USD", "spend allowed per calendar month (UTC), e.g. 50 or 12.5"),
    _Flag("--per-user-rpm", "per_user_rpm", "N", "requests per minute for each X-Ingate-User-Id"),
    _Flag("--per-user-tpm", "per_user_tpm", "N", "tokens per minute for each X-Ingate-User-Id"),
    _Flag("--expires", "expires_at", "WHEN", "ISO date/time (UTC unless zoned) or a duration: 30d, 12h, 90m"),
    _Flag(
        "--log-payloads",
        "log_payloads",
        "true|false",
        "capture this key's request and response bodies (redacted) into ingate.request_payloads; "
        "alone it means true",
        switch=True,
    ),
    _Flag(
        "--cache-ttl",
        "cache_ttl",
        "SECONDS",
        "keep this key's answers in the shared response cache this long and answer the same request "
        "from it (docs/cache.md)",
    ),
)
_FLAG_FOR: Final = {f.field: f.flag for f in _FLAGS}


@dataclass(frozen=True)
class _Call:
    client: Client
    store: KeyStore
    args: argparse.Namespace
    changes: KeyChanges


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="create, list, update and revoke Ingate API keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it once")
    _add_attribute_flags(create)
    create.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing = actions.add_parser("list", help="list keys with their limits and this month's spend")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    update = actions.add_parser(
        "update",
        help="change a key's name, user, access or limits",
        description=f"Change only what is given; the value {CLEAR} removes a limit or an access list.",
    )
    update.add_argument("key", help="key id (key_…) or the key (sk-ingate-…)")
    _add_attribute_flags(update)
    update.add_argument("--json", action="store_true", help="print machine-readable JSON")
    revoke = actions.add_parser("revoke", help="revoke a key by its id or by the key itself")
    revoke.add_argument("key", help="key id (key_…) or the key (sk-ingate-…)")
    revoke.add_argument("--json", action="store_true", help="print machine-readable JSON")
    keys_backup.add_parsers(actions)


def _add_attribute_flags(parser: argparse.ArgumentParser) -> None:
    for flag in _FLAGS:
        if flag.switch:
            parser.add_argument(
                flag.flag, dest=flag.field, metavar=flag.metavar, nargs="?", const="true", help=flag.help
            )
            continue
        parser.add_argument(
            flag.flag,
            dest=flag.field,
            metavar=flag.metavar,
            action="append" if flag.repeatable else "store",
            help=flag.help + ("; may be repeated" if flag.repeatable else ""),
        )


def run(args: argparse.Namespace, settings: Settings) -> int:
    handlers: dict[str, Callable[[_Call], Awaitable[None]]] = {
        "create": _create,
        "list": _list,
        "update": _update,
        "revoke": _revoke,
        "export": _export,
        "import": _import,
    }
    changes = KeyChanges()
    if args.action == "import":
        # Read and checked before connecting, as arguments are: a bad file changes nothing.
        try:
            args.export = read_key_export(keys_backup.read_import_file(args.file))
        except KeyExportError as exc:
            _say(str(exc))
            return keys_backup.EXIT_BAD_FILE
    if args.action in ("create", "update"):
        # Checked before connecting: a bad argument is refused the same way with NATS up or down.
        try:
            changes = _changes(args)
        except LimitError as exc:
            return _refuse(exc)
        if args.action == "update" and not changes.given():
            _say(f"nothing to change; give at least one of {', '.join(_FLAG_FOR.values())}")
            return EXIT_BAD_ARGUMENTS
        for name in unknown_providers(changes, settings.providers):
            # Edges may run with other providers configured than this command sees: warn, accept.
            known = ", ".join(settings.provider_names())
            _say(f"warning: provider {name!r} is not configured here (configured: {known}); stored anyway")
    return asyncio.run(_with_store(settings, handlers[args.action], args, changes))


def cli_actor() -> str:
    """Who a change made from this command is attributed to in the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"cli:uid-{os.getuid()}"


def _changes(args: argparse.Namespace) -> KeyChanges:
    typed = {flag.field: getattr(args, flag.field) for flag in _FLAGS}
    return parse_changes(now=dt.datetime.now(dt.UTC), **typed)


async def _with_store(
    settings: Settings,
    action: Callable[[_Call], Awaitable[None]],
    args: argparse.Namespace,
    changes: KeyChanges,
) -> int:
    url = settings.nats_url
    try:
        client: Client = await connect(url, "ingate-cli", connect_timeout_s=2.0, reconnect=False)
    except Exception:
        _say(f"cannot reach NATS at {url} ({is_it_running()})")
        return EXIT_FAILED
    try:
        if args.action not in ("list", "export"):  # the audit rows of a change need the events stream
            await ensure_event_streams(client.jetstream(), settings.events)
        store = await KeyStore.open(client, settings.events.stream_replicas, actor=cli_actor())
        await action(_Call(client, store, args, changes))
        return 0
    except (CommandError, KeyNotFoundError, KeyRevokedError, KeyConflictError) as exc:
        _say(str(exc))
        return EXIT_FAILED
    except LimitError as exc:  # valid when parsed, e.g. an expiry that has passed since
        return _refuse(exc)
    finally:
        await client.close()


async def _create(call: _Call) -> None:
    key, record = await call.store.create(attributes=call.changes)
    _advise(record)
    if call.args.json:
        print(msgspec.json.encode({"key": key, **msgspec.structs.asdict(record)}).decode())
        return
    print(key)
    limits = key_view.limits_summary(record) or "no limits"
    print(
        f"created {record.key_id} ({limits}); store the key now, it is not shown again",
        file=sys.stderr,
    )


async def _list(call: _Call) -> None:
    records = await call.store.records()
    now = dt.datetime.now(dt.UTC)
    month = month_of(now)
    spend = await read_spend(call.client, (r.key_id for r in records), month)
    if call.args.json:
        print(key_view.as_json(records, spend, month))
    else:
        print(key_view.as_table(records, spend, month, now))


async def _update(call: _Call) -> None:
    record = await call.store.update(call.args.key.strip(), call.changes)
    _advise(record)
    if call.args.json:
        print(msgspec.json.encode(record).decode())
    else:
        print(f"updated {record.key_id}: {key_view.limits_summary(record) or 'no limits'}")


async def _revoke(call: _Call) -> None:
    record = await call.store.revoke(call.args.key.strip())
    if call.args.json:
        print(msgspec.json.encode(record).decode())
    else:
        print(f"revoked {record.key_id}")


async def _export(call: _Call) -> None:
    await keys_backup.export_keys(call.store, call.args.output)


async def _import(call: _Call) -> None:
    await keys_backup.import_keys(call.store, call.args.export, call.args.replace)


def _advise(record: KeyRecord) -> None:
    for note in advisories(record):
        _say(f"note: {note}")


def _refuse(exc: LimitError) -> int:
    _say(f"{_FLAG_FOR[exc.field]} {exc.problem}")
    return EXIT_BAD_ARGUMENTS


def _say(line: str) -> None:
    print(f"ingate: {line}", file=sys.stderr)
