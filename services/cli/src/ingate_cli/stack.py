"""`ingate run`: the whole local stack as child processes of one supervisor.

Start-up: take the data folder, the edge's port and the admin port (a busy one is one line
and exit 1), start nats-server (JetStream, data under INGATE_DATA_DIR), then the mock
provider when it is wanted, the translator, analytics (embedded ClickHouse under
INGATE_DATA_DIR), the admin service and the edge workers, all at once. The banner comes
when every one of them is ready; while they are alive and starting the supervisor waits,
saying for what. After that any child that exits, nats-server included, is started again
with backoff, and `ingate status` shows each one. SIGINT, SIGTERM or SIGHUP stop the
services first and NATS last; a SIGKILL takes the children with it (see supervisor.py).
"""

import argparse
import asyncio
import fcntl
import logging
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import IO, Any, Final

from ingate_cli import status as status_file
from ingate_cli.admin_service import admin_spec, admin_url, bind_admin_socket
from ingate_cli.invocation import typed
from ingate_cli.listeners import PortBusy
from ingate_cli.logs import LOG_FORMAT_VAR
from ingate_cli.supervisor import POLL_S, Child, ChildSpec, Supervisor, describe_exit, waiting_for
from ingate_cli.workers import CHILD, bind_edge_socket, edge_ready_probe, http_probe, worker_specs
from ingate_config import Settings, env_name
from ingate_nats import KeyStore, NatsServer, connect, host_port
from ingate_providers import FORMATS

log = logging.getLogger("ingate.run")

# The mock directly, not through `ingate mock-provider`: it needs none of the command's other
# imports (NATS, settings, telemetry), ~20 MB resident less.
MOCK_CHILD: Final = [sys.executable, "-m", "ingate_mock"]
_SAY_WAITING_EVERY_S: Final = 5.0
_NATS_LISTEN_S: Final = 30.0


class StartFailed(RuntimeError):
    pass


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = commands.add_parser(
        "run", help="run the whole local stack (NATS, edge, translator, analytics, admin, mock provider)"
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
        nats_host, nats_port = host_port(settings.nats_url)
        self.nats = NatsServer(nats_host, nats_port, Path(settings.data_dir) / "jetstream")
        self.run_dir = status_file.run_dir(settings)
        self.supervisor = Supervisor(on_change=lambda _: self.write_status())
        self.state = "starting"
        self.started = time.time()
        self.url = _edge_url(settings)
        self._lock: IO[str] | None = None
        self._socket: socket.socket | None = None
        self._admin_socket: socket.socket | None = None

    def start(self) -> None:
        self._take_data_dir()
        self._socket = bind_edge_socket(self.settings)
        self._admin_socket = bind_admin_socket(self.settings)
        env = dict(os.environ, INGATE_NATS_URL=self.nats.url)
        env.setdefault(LOG_FORMAT_VAR, "text")  # the services' lines read like the supervisor's
        self._start_nats()
        if self.use_mock:
            env.update(self._start_mock(env))
        for name in ("translator", "analytics"):
            ops_port = _free_port()  # each its own /readyz, which is how the supervisor sees it ready
            self.supervisor.start(
                ChildSpec(
                    name=name,
                    command=[*CHILD, name],
                    env=dict(env, INGATE_TELEMETRY_METRICS_PORT=str(ops_port)),
                    ready=http_probe(f"http://127.0.0.1:{ops_port}/readyz"),
                    stop_wave=1,
                )
            )
        self.supervisor.start(admin_spec(self.settings, self._admin_socket, env))
        for spec in worker_specs(self.settings, self._socket, env, edge_ready_probe(self.settings)):
            self.supervisor.start(spec)
        self._wait_until_ready()

    def _take_data_dir(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        lock = (self.run_dir / "supervisor.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            other = status_file.read_status(self.settings)
            who = f" (pid {other['pid']})" if other else ""
            raise StartFailed(
                f"another `ingate run`{who} uses the data dir {self.settings.data_dir}; "
                "stop it, or set INGATE_DATA_DIR to another folder"
            ) from None
        self._lock = lock

    def _start_nats(self) -> None:
        if self.nats.accepts:
            # e.g. the operator's own server: use it as it is, and leave it to its owner.
            log.warning("a NATS server already listens on %s; using it", self.nats.url)
            return
        log.info("starting nats-server on %s (JetStream data in %s)", self.nats.url, self.nats.store_dir)
        nats_log = Path(self.settings.data_dir) / "nats-server.log"
        child = self.supervisor.start(
            ChildSpec(
                name="nats-server",
                command=self.nats.command(),
                ready=lambda: self.nats.accepts,
                log_path=nats_log,
                stop_wave=2,
            )
        )
        deadline = time.monotonic() + _NATS_LISTEN_S
        while not self.nats.accepts:
            if child.process is not None and child.process.poll() is not None:
                tail = nats_log.read_text(errors="replace").strip().splitlines()[-3:]
                raise StartFailed(f"nats-server exited at start ({' / '.join(tail)[-400:]})")
            if time.monotonic() > deadline:
                raise StartFailed(f"nats-server did not listen on {self.nats.url} in {_NATS_LISTEN_S:g} s")
            time.sleep(0.05)

    def _start_mock(self, env: dict[str, str]) -> dict[str, str]:
        port = int(os.environ.get("INGATE_MOCK_PORT") or _free_port())
        mock_url = f"http://127.0.0.1:{port}"
        wired: dict[str, str] = {}
        credentials: list[str] = []
        for name, fmt in FORMATS.items():  # each format's built-in provider
            if self.settings.providers[name].base_url_configured:
                continue  # the operator pointed this provider somewhere: leave it there
            key = f"sk-mock-{name}-{secrets.token_hex(8)}"
            credentials += [f"--{name}-key", key]
            wired[env_name(name, "base_url")] = mock_url + fmt.base_path
            wired[env_name(name, "api_key")] = key
        self.supervisor.start(
            ChildSpec(
                name="mock-provider",
                command=[*MOCK_CHILD, "--port", str(port), *credentials],
                env=env,
                ready=http_probe(f"{mock_url}/healthz"),
                stop_wave=1,
            )
        )
        names = sorted(
            k.removeprefix("INGATE_").removesuffix("_BASE_URL").lower()
            for k in wired
            if k.endswith("_BASE_URL")
        )
        log.warning("using the mock provider at %s for: %s", mock_url, ", ".join(names) or "nothing")
        return wired

    def _wait_until_ready(self) -> None:
        """Wait while every child is alive and starting; fail when one exits or time runs out."""
        limit_s = self.settings.run.start_timeout_s
        begun = time.monotonic()
        next_say = begun + _SAY_WAITING_EVERY_S
        while not self.supervisor.stopping:
            exited = self.supervisor.poll(restart=False)
            if exited:
                child = exited[0]
                raise StartFailed(
                    f"{child.name} exited while starting ({describe_exit(child.last_exit or 0)}); "
                    "its last lines above say why"
                )
            pending = waiting_for(self.supervisor.children)
            if not pending:
                return
            now = time.monotonic()
            if now - begun > limit_s:
                raise StartFailed(
                    f"not ready after {limit_s:g} s: still waiting for {', '.join(pending)} "
                    "(raise INGATE_RUN_START_TIMEOUT_S on a slow machine)"
                )
            if now >= next_say:
                log.warning("waiting for %s to be ready (%.0f s so far)", ", ".join(pending), now - begun)
                next_say = now + _SAY_WAITING_EVERY_S
            time.sleep(POLL_S)

    def watch(self) -> int:
        """Restart whatever exits, until a signal asks to stop."""
        self.state = "running"
        self.write_status()
        self.supervisor.watch()
        return 0

    def stop(self) -> None:
        self.state = "stopping"
        self.supervisor.stop()
        for sock in (self._socket, self._admin_socket):
            if sock is not None:
                sock.close()
        self.state = "stopped"
        self.write_status()

    def write_status(self) -> None:
        if self._lock is None:
            return  # not ours to write: another run may own this data dir
        children: list[Child] = self.supervisor.children
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "url": self.url,
            "admin_url": admin_url(self.settings),
            "state": self.state,
            "started": round(self.started, 3),
            "nats_url": self.nats.url,
            "services": [child.snapshot() for child in children],
        }
        status_file.write_status(status_file.status_path(self.settings), status)


def run(args: argparse.Namespace, settings: Settings) -> int:
    has_credentials = any(p.api_key for p in settings.providers.values())
    use_mock = bool(args.mock) or not has_credentials
    if use_mock and not args.mock:
        log.warning("no provider credentials configured: forwarding to the mock provider")
    stack = Stack(settings, use_mock)
    stack.supervisor.stop_on_signals()
    try:
        stack.start()
        if stack.supervisor.stopping:
            return 0
        first_key = asyncio.run(_first_key(stack.nats.url))
        _announce(settings, first_key)
        return stack.watch()
    except (StartFailed, PortBusy) as exc:
        log.error("ingate run: %s", exc)
        return 1
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
    lines = [f"Ingate is running at {_edge_url(settings)}"]
    lines.append(f"Admin API at {admin_url(settings)} (a token: {typed('admin-tokens create --name NAME')})")
    if first_key:
        lines += ["Your first API key (shown once):", first_key]
    else:
        lines.append(f"Keys exist already; make another with: {typed('keys create')}")
    lines.append(f"Press Ctrl-C to stop; `{typed('status')}` shows each service.")
    print("\n".join(lines), flush=True)


def _edge_url(settings: Settings) -> str:
    host = settings.edge.host if settings.edge.host not in ("0.0.0.0", "::") else "localhost"
    return f"http://{host}:{settings.edge.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
