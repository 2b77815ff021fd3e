"""A second edge from another source tree (a worktree of main, say) beside the stack's own, so
that two versions of the edge are measured in alternating rounds of one run.

The other tree's workspace packages are put first on PYTHONPATH, ahead of this tree's
editable installs; the virtual environment (dependencies) is shared. The second edge gets the
stack's environment, its own port and data folder, and the edge's CPU.
"""

import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from bench.procs import HOST, ROOT, Stack, StackError, free_port, http_status

_WAIT_S: Final = 30.0
_ATTEMPTS: Final = 3


def source_path(tree: Path) -> str:
    """PYTHONPATH that makes the workspace's packages import from `tree` instead of this one."""
    return ":".join(sorted(str(p) for p in [*tree.glob("libs/*/src"), *tree.glob("services/*/src")]))


def spawn_edge(
    stack: Stack, name: str, tree: Path | None, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start an edge named `name` from `tree` (None: this one), `extra_env` added to the stack's
    edge environment; return it and its port once ready. The caller stops it. A port taken by
    another process between picking and binding it is picked again."""
    for attempt in range(_ATTEMPTS):
        try:
            return _spawn(stack, name, tree, extra_env or {})
        except StackError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _spawn(
    stack: Stack, name: str, tree: Path | None, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = stack._env()
    env["INGATE_EDGE_PORT"] = str(port)
    env["INGATE_DATA_DIR"] = str(stack.workdir / f"data-{name}")
    if tree is not None:
        env["PYTHONPATH"] = source_path(tree)
    env.update(extra_env)
    pin = ["taskset", "-c", stack.pinning.edge] if stack.pinning.edge is not None else []
    log_path = stack.workdir / f"edge-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*pin, sys.executable, "-m", "ingate_cli", "edge"],
            cwd=tree or ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + _WAIT_S
    while http_status(f"http://{HOST}:{port}/readyz") != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise StackError(f"edge {name} did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return process, port
