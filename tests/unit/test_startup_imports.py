"""What each service imports on its way to serving: nothing it does not use.

Each case runs in a fresh interpreter, does what `ingate <service>` does up to the point
where it would start serving (the CLI, the settings, the app or service built), and lists
the modules loaded. The packages named here cost start-up time (docs/benchmarks.md,
"Start-up") and are not needed to serve; some are installed only in a development
environment (pydantic, for the provider SDKs the tests drive; a WebSocket library), so a
regression would show there first.
"""

import json
import os
import subprocess
import sys
from typing import Final

import pytest

# Shared by every case: validation libraries, the tracing SDK (tracing is off), the embedded
# database. (httpx comes with httpx-sse, the edge's SSE framing: a library, kept on purpose.)
_HEAVY: Final = (
    "pydantic",
    "pydantic_core",
    "opentelemetry.sdk",
    "chdb",
)

_LIST_MODULES: Final = "import json, sys; print(json.dumps(sorted(sys.modules)))"

_EDGE: Final = f"""
import asyncio
import ingate_cli.main
from ingate_config import load_settings
from ingate_edge.server import build_server

server = build_server(load_settings(None, environ={{}}))
server.config.load()  # what uvicorn does before it listens: protocol classes, app wrappers
asyncio.run(server.config.app.operations.event_emitter.__aenter__())  # the lifespan's first step
{_LIST_MODULES}
"""

_TRANSLATOR: Final = f"""
import ingate_cli.main
import ingate_translator
{_LIST_MODULES}
"""

_ANALYTICS: Final = f"""
import ingate_cli.main
import ingate_analytics
{_LIST_MODULES}
"""

CASES: Final = {
    # The edge: wsproto is its WebSocket protocol (the Responses WebSocket; ~30 ms), but not
    # the other WebSocket library, and no anyio task group for Litestar's event emitter (it
    # has no listeners).
    "edge": (_EDGE, (*_HEAVY, "websockets", "anyio.streams", "clickhouse_connect")),
    "translator": (_TRANSLATOR, (*_HEAVY, "litestar", "clickhouse_connect")),
    # chDB is imported only when the embedded database is opened, never by importing.
    "analytics": (_ANALYTICS, (*_HEAVY, "litestar")),
}


def _imported(script: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INGATE_", "OTEL_", "CLICKHOUSE_"))}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return modules


@pytest.mark.parametrize("service", sorted(CASES))
def test_start_path_imports_nothing_heavy(service: str) -> None:
    script, unwanted = CASES[service]
    modules = _imported(script)
    found = [u for u in unwanted if any(m == u or m.startswith(u + ".") for m in modules)]
    assert found == [], f"`ingate {service}` imports {found}"


def test_the_check_can_fail() -> None:
    """The subprocess sees the same environment: a heavy package imported shows up."""
    modules = _imported(f"import httpx\n{_LIST_MODULES}")
    assert "httpx" in modules
