"""`ingate run`: the whole local stack as child processes of one supervisor.

nats-server (JetStream, data under INGATE_DATA_DIR) starts first, then the mock
provider when it is wanted, then the translator, the analytics service (embedded
ClickHouse under INGATE_DATA_DIR) and the edge. Ctrl-C stops them in reverse order and
leaves nothing running.
"""

import argparse
import asyncio
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from ingate_cli.logs import LOG_FORMAT_VAR
from ingate_config import BUILTIN_PROVIDERS, Settings, env_name
from ingate_nats import KeyStore, NatsServer, connect, host_port, nats_listening

log = logging.getLogger("ingate.run")

_CHILD = [sys.executable, "-m", "ingate_cli"]
_MAX_RESTARTS = 3


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = commands.add_parser(
        "run", help="run the whole local stack (NATS, edge, translator, analytics, mock provider)"
    )
    run.add_argument(
        "--mock",
        action="store_true",
        help="forward to the built-in mock provider (default when no provider credentials are set)",
    )


class Stack:
    def __init__(self, settings: Settings, use_mock: bool) -> None:
        self.settings = settings
        self.use_mock = use_mock
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        nats_host, nats_port = host_port(settings.nats_url)
        self.nats = NatsServer(nats_host, nats_port, Path(settings.data_dir) / "jetstream")
        self.stopping = False
        self.own_nats = True
        self._restartable: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        self._restarts: dict[str, int] = {}
        self._given_up: set[str] = set()

    def start(self) -> None:
        if nats_listening(self.nats.host, self.nats.port):
            # e.g. the operator's own server, or one left by an earlier run: use it as it is.
            log.warning("a NATS server already listens on %s; using it", self.nats.url)
            self.own_nats = False
        else:
            log.info("starting nats-server on %s (JetStream data in %s)", self.nats.url, self.nats.store_dir)
            self.nats.start()
        env = dict(os.environ, INGATE_NATS_URL=self.nats.url)
        env.setdefault(LOG_FORMAT_VAR, "text")  # the services' lines read like the supervisor's
        if self.use_mock:
            env.update(self._start_mock())
        edge = self.settings.edge
        self._spawn("translator", [*_CHILD, "translator"], env, essential=False)
        self._spawn("analytics", [*_CHILD, "analytics"], env, essential=False)
        self._spawn("edge", [*_CHILD, "edge"], env)
        _wait_http(f"http://127.0.0.1:{edge.port}/readyz", timeout_s=30, what="edge")

    def _start_mock(self) -> dict[str, str]:
        port = int(os.environ.get("INGATE_MOCK_PORT") or _free_port())
        mock_url = f"http://127.0.0.1:{port}"
        wired: dict[str, str] = {}
        credentials: list[str] = []
        for builtin in BUILTIN_PROVIDERS:
            if self.settings.providers[builtin.name].base_url_configured:
                continue  # the operator pointed this provider somewhere: leave it there
            key = f"sk-mock-{builtin.name}-{secrets.token_hex(8)}"
            credentials += [f"--{builtin.name}-key", key]
            suffix = "/v1" if builtin.format == "openai" else ""
            wired[env_name(builtin.name, "base_url")] = mock_url + suffix
            wired[env_name(builtin.name, "api_key")] = key
        self._spawn("mock-provider", [*_CHILD, "mock-provider", "--port", str(port), *credentials], None)
        _wait_http(f"{mock_url}/healthz", timeout_s=20, what="mock provider")
        names = sorted(
            k.removeprefix("INGATE_").removesuffix("_BASE_URL").lower()
            for k in wired
            if k.endswith("_BASE_URL")
        )
        log.warning("using the mock provider at %s for: %s", mock_url, ", ".join(names) or "nothing")
        return wired

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str] | None, essential: bool = True
    ) -> None:
        # A session of its own: Ctrl-C reaches only the supervisor, which stops children in order.
        process = subprocess.Popen(command, env=env, start_new_session=True)
        self.children.append((name, process))
        if not essential:
            self._restartable[name] = (command, env)

    def watch(self) -> int:
        """Block until a signal or an essential child's death; return the exit status.

        The translator and analytics are not essential to forwarding: when one dies it is
        started again (records wait in JetStream meanwhile), a few times at most."""
        while not self.stopping:
            for index, (name, process) in enumerate(self.children):
                if process.poll() is None:
                    continue
                if name in self._restartable and self._restarts.get(name, 0) < _MAX_RESTARTS:
                    self._restarts[name] = self._restarts.get(name, 0) + 1
                    log.error("%s exited with status %s; starting it again", name, process.returncode)
                    command, env = self._restartable[name]
                    restarted = subprocess.Popen(command, env=env, start_new_session=True)
                    self.children[index] = (name, restarted)
                    continue
                if name in self._restartable:
                    if name not in self._given_up:  # the gateway itself keeps serving
                        self._given_up.add(name)
                        log.error("%s keeps exiting; not starting it again", name)
                    continue
                log.error("%s exited with status %s; stopping", name, process.returncode)
                return 1
            if self.own_nats and not self.nats.running:
                log.error("nats-server exited; stopping")
                return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in time; killing it", name)
                    process.kill()
                    process.wait()
        self.children.clear()
        self.nats.stop()


def run(args: argparse.Namespace, settings: Settings) -> int:
    has_credentials = any(p.api_key for p in settings.providers.values())
    use_mock = bool(args.mock) or not has_credentials
    if use_mock and not args.mock:
        log.warning("no provider credentials configured: forwarding to the mock provider")
    if args.config:
        # The children read the same file: they get it the way every Ingate process can.
        os.environ["INGATE_CONFIG"] = str(Path(args.config).resolve())
    stack = Stack(settings, use_mock)

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stack.stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start()
        first_key = asyncio.run(_first_key(stack.nats.url))
        _announce(settings, first_key)
        return stack.watch()
    except Exception as exc:
        log.error("ingate run failed: %s", exc)
        return 1
    finally:
        stack.stop()
        log.info("stopped")


async def _first_key(nats_url: str) -> str | None:
    """Create a key named 'first' when the store has none, so a new user can start at once."""
    client = await connect(nats_url, "ingate-run", reconnect=False)
    try:
        store = await KeyStore.open(client)
        if await store.records():
            return None
        key, _ = await store.create(name="first")
        return key
    finally:
        await client.close()


def _announce(settings: Settings, first_key: str | None) -> None:
    host = settings.edge.host if settings.edge.host not in ("0.0.0.0", "::") else "localhost"
    lines = [f"Ingate is running at http://{host}:{settings.edge.port}"]
    if first_key:
        lines += ["Your first API key (shown once):", first_key]
    else:
        lines.append("Keys exist already; make another with: ingate keys create")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_http(url: str, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback URL we built
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready at {url} within {timeout_s:g}s")
