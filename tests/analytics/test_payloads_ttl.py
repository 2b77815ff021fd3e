"""`INGATE_PAYLOADS_TTL_DAYS` reaches `ingate.request_payloads`: `ingate migrate` (as the analytics
service at start) sets the table's TTL from it, and a changed setting changes the table again."""

import os
import subprocess
import sys
from pathlib import Path

from tests.analytics.processes import REPO_ROOT

_READ_TTL = """
import sys
import clickhouse_connect
from ingate_analytics.migrations import payloads_ttl_days
client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
print(payloads_ttl_days(client))
"""


def _migrate(data_dir: Path, ttl_days: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INGATE_DATA_DIR": str(data_dir), "INGATE_PAYLOADS_TTL_DAYS": ttl_days}
    env.pop("CLICKHOUSE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ingate_cli", "migrate"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def _ttl_days(data_dir: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _READ_TTL, str(data_dir / "clickhouse")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_the_payloads_ttl_follows_the_setting(tmp_path: Path) -> None:
    first = _migrate(tmp_path, "7")
    assert first.returncode == 0, first.stderr
    assert _ttl_days(tmp_path) == "7"

    again = _migrate(tmp_path, "45")
    assert again.returncode == 0, again.stderr
    assert _ttl_days(tmp_path) == "45"


def test_a_ttl_below_one_day_is_refused_naming_the_setting(tmp_path: Path) -> None:
    refused = _migrate(tmp_path, "0")
    assert refused.returncode != 0
    assert "ttl_days" in (refused.stderr + refused.stdout).lower()
