"""Which ClickHouse the analytics service uses decides what it imports, and what it needs installed.

With CLICKHOUSE_URL set (every container) chDB is never imported; with neither the URL nor chDB
(an image started without CLICKHOUSE_URL) `ingate analytics` fails at start with one line saying
what to set or install. Each case runs in a fresh interpreter, offline.
"""

import json
import subprocess
import sys
from pathlib import Path

from ingate_analytics.database import EMBEDDED_MISSING
from tests.support.processes import clean_env, free_port

# Opens the sink as `ingate analytics` does, against a ClickHouse server that is not there.
_WITH_URL = """
import asyncio, json, sys
from ingate_analytics.service import StartError, open_sink
from ingate_config import load_settings

try:
    asyncio.run(open_sink(load_settings(None)))
except StartError as exc:
    chdb = sorted(m for m in sys.modules if m.split(".")[0] == "chdb")
    print(json.dumps({"error": str(exc), "chdb": chdb}))
"""

# chDB as if not installed: an import of it fails, and so does looking for it.
_WITHOUT_CHDB = """
import sys
sys.modules["chdb"] = None
sys.argv = ["ingate", "analytics"]
from ingate_cli.main import main
main()
"""


def test_a_clickhouse_url_never_imports_chdb(tmp_path: Path) -> None:
    env = clean_env(
        CLICKHOUSE_URL=f"http://127.0.0.1:{free_port()}", INGATE_DATA_DIR=str(tmp_path), PYTHONPATH=""
    )
    done = subprocess.run(
        [sys.executable, "-c", _WITH_URL], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(done.stdout)
    assert result["error"].startswith("cannot open http://127.0.0.1:"), result
    assert result["chdb"] == []


def test_without_a_url_or_chdb_the_service_says_what_to_do_in_one_line(tmp_path: Path) -> None:
    # The NATS URL is a closed port: the check comes before anything is connected.
    env = clean_env(INGATE_DATA_DIR=str(tmp_path), INGATE_NATS_URL=f"nats://127.0.0.1:{free_port()}")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CHDB], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    message = json.loads(lines[0])["message"]  # a container's log line
    assert message == f"ingate analytics cannot start: {EMBEDDED_MISSING}"
    assert "CLICKHOUSE_URL" in message
    assert "ingate-analytics[embedded]" in message
