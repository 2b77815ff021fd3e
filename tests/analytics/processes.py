"""`ingate analytics` as a real process, asked over NATS, and its database read from outside."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingate_cli.keys import CommandError
from ingate_cli.usage import ask
from ingate_contracts.usage import UsageQuery, UsageReply
from tests.analytics.support import Lane, ours
from tests.support.processes import INGATE, Service, clean_env

REPO_ROOT = Path(__file__).resolve().parents[2]


def analytics_env(nats_url: str, data_dir: Path) -> dict[str, str]:
    return clean_env(
        INGATE_NATS_URL=nats_url,
        INGATE_DATA_DIR=str(data_dir),
        INGATE_ANALYTICS_FLUSH_INTERVAL_MS="100",
        INGATE_ANALYTICS_BATCH_SIZE="200",
    )


async def start_analytics(nats_url: str, data_dir: Path, logs_dir: Path, name: str) -> Service:
    service = Service(name, [*INGATE, "analytics"], analytics_env(nats_url, data_dir), logs_dir)
    await asyncio.to_thread(service.wait_log, "ingate analytics consuming", 60.0)
    return service


async def lane_usage(nats_url: str, lane: Lane, since_s: float = 3600) -> UsageReply | None:
    """The lane's rows as the running analytics service counts them; None when none answers."""
    try:
        return ours(await ask(nats_url, UsageQuery(since_s=since_s), timeout_s=2.0), lane)
    except CommandError:
        return None


def query_data_dir(data_dir: Path, sql: str, parameters: dict[str, str]) -> list[list[Any]]:
    """Rows of `sql` in a stopped analytics service's embedded database, read by a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.analytics.inspect_db", str(data_dir), sql, json.dumps(parameters)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows: list[list[Any]] = json.loads(done.stdout)
    return rows
