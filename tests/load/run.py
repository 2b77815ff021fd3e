"""`make load`: run the locust profile headless and print its summary.

With no LOAD_HOST it starts a local stack first (`ingate run --mock` on free loopback ports,
state in a temporary folder), creates a key with `ingate keys create --json`, and stops the
stack afterwards — also on failure and Ctrl-C. With LOAD_HOST and LOAD_KEY it loads an existing
deployment instead. The exit status is locust's: non-zero when more than the allowed share of
requests failed.

    python -m tests.load.run [--users N] [--spawn-rate N] [--time 30s] [--host URL] ...
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Final

from bench.procs import post
from tests.support.processes import INGATE, clean_env, free_port, run_cli

ROOT: Final = Path(__file__).resolve().parents[2]  # locust imports tests.load.* from here
LOCUSTFILE: Final = Path(__file__).with_name("locustfile.py").relative_to(ROOT)
READY_LINE: Final = "Ingate is running at"
# One translated request proves the key, the edge and a translator all work before the load.
PREFLIGHT_BODY: Final = json.dumps(
    {"model": "claude-sonnet-4-20250514", "messages": [{"role": "user", "content": "ping"}]}
)
PREFLIGHT_HEADERS: Final = {"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"}


class LoadError(RuntimeError):
    pass


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM/SIGHUP take the same way out as Ctrl-C: through `finally`


class LocalStack:
    """`ingate run --mock` as a child in a session of its own, so a Ctrl-C on the terminal reaches
    only this driver and locust, and the stack is stopped after locust has printed its summary."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ingate-load-")
        workdir = Path(self._tmp.name)
        self.log_path = workdir / "ingate-run.log"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        # clean_env: a provider key in the caller's shell must not send the load to a real provider.
        self.env = clean_env(
            INGATE_EDGE_HOST="127.0.0.1",
            INGATE_EDGE_PORT=str(port),
            INGATE_ADMIN_PORT=str(free_port()),
            INGATE_NATS_URL=f"nats://127.0.0.1:{free_port()}",
            INGATE_DATA_DIR=str(workdir / "var"),
            INGATE_LOG_LEVEL="WARNING",
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90.0) -> str:
        """Start the stack and return a new key for the load."""
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [*INGATE, "run", "--mock"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while READY_LINE not in self.log_path.read_text(errors="replace"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise LoadError(f"ingate run did not start:\n{self.log_tail()}")
            time.sleep(0.2)
        done = run_cli("keys", "create", "--json", "--name", "load-test", "--user", "load-test", env=self.env)
        if done.returncode != 0:
            raise LoadError(f"ingate keys create failed:\n{done.stderr}")
        key: str = json.loads(done.stdout)["key"]
        return key

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        process, self._process = self._process, None
        try:
            if process is not None and process.poll() is None:
                # SIGTERM makes `ingate run` stop its children in order; killing it outright
                # would orphan them (each runs in a session of its own).
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    _kill_tree(process.pid)
                    process.wait(10)
        finally:
            self._tmp.cleanup()


def _kill_tree(pid: int) -> None:
    """Last resort when `ingate run` does not stop: kill its children, then it."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(child) for child in children.read_text().split()] if children.exists() else []
    for target in [*pids, pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)
    print(f"load: ingate run did not stop in time; killed it and its children {pids}", file=sys.stderr)


def preflight(url: str, key: str, timeout_s: float) -> None:
    """Retry until one translated request succeeds: translators may still be starting."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status, body = post(f"{url}/v1/chat/completions", PREFLIGHT_BODY, key, PREFLIGHT_HEADERS, 10.0)
        except OSError as exc:
            status, body = 0, str(exc).encode()
        if status == 200:
            return
        if status in (401, 403) or time.monotonic() > deadline:
            raise LoadError(f"preflight request to {url} failed with {status}: {body[:300]!r}")
        time.sleep(0.5)


def locust_command(args: argparse.Namespace, host: str) -> list[str]:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", host, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", args.time, "--stop-timeout", "10",
        "--ingate-think", str(args.think), "--ingate-max-fail-ratio", str(args.max_fail_ratio),
    ]  # fmt: skip
    if args.headers:
        command += ["--ingate-headers", args.headers]
    if args.csv:
        command += ["--csv", args.csv]
    if args.until_each:
        command += ["--ingate-until-each", str(args.until_each)]
    if args.summary:
        command += ["--ingate-summary", args.summary]
    return command


def run_locust(command: list[str], key: str) -> int:
    # The key travels in the environment, never on a command line others can read.
    process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, LOAD_KEY=key))
    try:
        return process.wait()
    except KeyboardInterrupt:
        # A terminal Ctrl-C reached locust too and it is printing its summary; a SIGTERM to
        # this driver did not, so pass it on.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m tests.load.run", description="Run the load profile.")
    parser.add_argument("--host", default=env.get("LOAD_HOST", ""), help="edge URL (env LOAD_HOST)")
    parser.add_argument("--users", type=int, default=int(env.get("LOAD_USERS", "20")), help="env LOAD_USERS")
    parser.add_argument(
        "--spawn-rate", type=float, default=float(env.get("LOAD_SPAWN_RATE", "10")),
        help="users started per second (env LOAD_SPAWN_RATE)",
    )  # fmt: skip
    parser.add_argument("--time", default=env.get("LOAD_TIME", "30s"), help="e.g. 30s, 2m (env LOAD_TIME)")
    parser.add_argument(
        "--think",
        type=float,
        default=float(env.get("LOAD_THINK", "1.0")),
        help="max think time, s (env LOAD_THINK)",
    )
    parser.add_argument(
        "--max-fail-ratio", type=float, default=float(env.get("LOAD_MAX_FAIL_RATIO", "0.01")),
        help="fail the run above this share of failed requests (env LOAD_MAX_FAIL_RATIO)",
    )  # fmt: skip
    parser.add_argument(
        "--headers", default=env.get("LOAD_HEADERS", ""),
        help="extra headers on every request, 'Name: value; Other: value' (env LOAD_HEADERS)",
    )  # fmt: skip
    parser.add_argument("--csv", default=env.get("LOAD_CSV", ""), help="also write locust's CSV stats here")
    parser.add_argument(
        "--until-each", type=int, default=0,
        help="end early once every request kind was sent this often (a smoke run; --time still caps it)",
    )  # fmt: skip
    parser.add_argument(
        "--summary", default="", help="write the final counts per kind and per failure label as JSON here"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = os.environ.get("LOAD_KEY", "")
    if args.host and not key:
        print("load: LOAD_HOST needs LOAD_KEY (an Ingate key for that deployment)", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    stack = None if args.host else LocalStack()
    try:
        if stack is not None:
            print("load: starting a local stack (ingate run --mock) …", file=sys.stderr, flush=True)
            key = stack.start()
        host = args.host.rstrip("/") or (stack.url if stack else "")
        preflight(host, key, timeout_s=30.0 if stack else 10.0)
        print(f"load: {args.users} users for {args.time} against {host}", file=sys.stderr, flush=True)
        code = run_locust(locust_command(args, host), key)
        if code != 0 and stack is not None:
            print(f"load: end of the local stack's log:\n{stack.log_tail()}", file=sys.stderr)
        return code
    except LoadError as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if stack is not None:
            # A second Ctrl-C during teardown must not leave a nats-server behind.
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            print("load: stopping the local stack …", file=sys.stderr, flush=True)
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
