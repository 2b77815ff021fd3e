"""`ingate status [--json]`: what each service of a running `ingate run` is doing.

The supervisor rewrites `<data dir>/run/status.json` whenever a child changes state
(atomically: a reader sees the old file or the new one, never half of one); this command
reads it and checks that the supervisor named in it is still alive.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ingate_cli.invocation import typed
from ingate_config import Settings


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    status = commands.add_parser(
        "status", help="show which services of a running `ingate run` are up, ready or restarting"
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")


def run_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "run"


def status_path(settings: Settings) -> Path:
    return run_dir(settings) / "status.json"


def write_status(path: Path, status: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(status, indent=2) + "\n")
    os.replace(partial, path)


def read_status(settings: Settings) -> dict[str, Any] | None:
    """The running stack's status, or None when no `ingate run` is running for this data dir."""
    try:
        status: dict[str, Any] = json.loads(status_path(settings).read_text())
    except (OSError, ValueError):
        return None
    pid = status.get("pid")
    if not isinstance(pid, int) or not _alive(pid) or status.get("state") == "stopped":
        return None
    return status


def run(args: argparse.Namespace, settings: Settings) -> int:
    status = read_status(settings)
    if status is None:
        if args.json:
            print(json.dumps({"running": False, "data_dir": settings.data_dir}))
        else:
            running = typed("run")
            print(f"ingate: no `{running}` is running with data dir {settings.data_dir}", file=sys.stderr)
        return 1
    status["running"] = True
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print(render(status))
    services = status.get("services", [])
    return 0 if services and all(s.get("ready") for s in services) else 3


def render(status: dict[str, Any]) -> str:
    up_s = time.time() - float(status.get("started", time.time()))
    supervisor = f"supervisor pid {status.get('pid')}, up {_span(up_s)}"
    lines = [f"Ingate at {status.get('url')}: {status.get('state')} ({supervisor})"]
    if status.get("admin_url"):
        lines.append(f"Admin API at {status['admin_url']}")
    for service in status.get("services", []):
        state = str(service.get("state"))
        detail = f"pid {service['pid']}" if service.get("pid") else ""
        if state == "restarting":
            detail = f"last exit: {service.get('last_exit_text')}"
            if service.get("restart_in_s") is not None:
                detail += f"; next start in {service['restart_in_s']:g} s"
        if service.get("restarts"):
            detail += f"; restarted {service['restarts']} times"
        lines.append(f"  {service.get('name', '?'):<14} {state:<11} {detail}".rstrip())
    return "\n".join(lines)


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
