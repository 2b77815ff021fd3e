"""`ingate migrate`: bring the ClickHouse schema up to date, then exit.

The analytics service applies the same migrations at start; this command exists so a
deployment can do it once, before any replica starts (the Kubernetes Job `ingate-migrate`),
and so an operator can do it by hand. It talks to `CLICKHOUSE_URL`, or to the embedded
engine under INGATE_DATA_DIR when that is unset, exactly as the analytics service would.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import stamina

from ingate_config import Settings

_RETRY_EVERY_S = 2.0
_T = TypeVar("_T")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    migrate = commands.add_parser(
        "migrate", help="apply the ClickHouse schema migrations (CLICKHOUSE_URL, else embedded) and exit"
    )
    migrate.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep trying this long while the database cannot be reached (e.g. it is still starting)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here, as services.py imports each service: the ClickHouse client costs half a
    # second at start, which every other `ingate` command would pay for nothing.
    from ingate_analytics.database import embedded_path, open_database
    from ingate_analytics.migrations import apply_migrations

    if settings.clickhouse_url:
        parts = urlsplit(settings.clickhouse_url)
        # Name the server, never the credentials the URL carries.
        where = f"ClickHouse at {parts.scheme}://{parts.hostname}:{parts.port or 8123}"
    else:
        where = f"embedded ClickHouse in {embedded_path(settings)}"
    try:
        client = _retry(lambda: open_database(settings), wait_s=args.wait)
    except Exception as exc:
        return _fail(f"cannot open {where}: {_one_line(exc, settings)}")
    directory = Path(settings.analytics.migrations_dir) if settings.analytics.migrations_dir else None
    try:
        applied = apply_migrations(
            client,
            directory,
            ttl_days=settings.analytics.ttl_days,
            payloads_ttl_days=settings.payloads.ttl_days,
            cluster=settings.clickhouse_cluster,
        )
    except Exception as exc:
        return _fail(f"cannot apply the migrations to {where}: {_one_line(exc, settings)}")
    finally:
        client.close()
    if applied:
        print(f"applied migrations {', '.join(f'{v:04d}' for v in applied)} to {where}")
    else:
        print(f"the schema of {where} is up to date")
    return 0


def _retry(attempt: Callable[[], _T], wait_s: float) -> _T:
    """`attempt()`, tried again with backoff until `wait_s` has passed; its last error is raised."""
    if wait_s <= 0:
        return attempt()
    for retry in stamina.retry_context(on=Exception, attempts=None, timeout=wait_s, wait_max=_RETRY_EVERY_S):
        with retry:
            return attempt()
    raise AssertionError("unreachable: stamina either returns or raises")


def _one_line(exc: BaseException, settings: Settings) -> str:
    text = " ".join(str(exc).split())[:500] or type(exc).__name__
    password = urlsplit(settings.clickhouse_url).password if settings.clickhouse_url else None
    return text.replace(password, "***") if password else text


def _fail(message: str) -> int:
    print(f"ingate: {message}", file=sys.stderr)
    return 1
