"""The processes under test: NATS, the constant upstream, the translator and the edge, each a
child process.

Everything listens on loopback ports picked free at start, every wait has a
deadline, and `Stack.close` stops whatever was started (it is safe to call at
any point, and again).
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Final

from ingate_contracts.key_limits import KeyChanges
from ingate_nats import KeyStore, NatsServer, connect

HOST: Final = "127.0.0.1"
EDGE_COMMAND: Final = (sys.executable, "-m", "ingate_cli", "edge")
UPSTREAM_COMMAND: Final = (sys.executable, "-m", "bench.upstream")
TRANSLATOR_COMMAND: Final = (sys.executable, "-m", "ingate_cli", "translator")
TRANSLATOR_READY: Final = b"ingate translator serving"
ROOT: Final = Path(__file__).resolve().parent.parent  # where `bench` is importable from


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Pinning:
    """CPU lists for taskset: the edge alone on one CPU, everything else on another.

    The translator is a service of its own, like NATS, so it shares the other CPU: the
    edge's CPU shows what the edge itself costs, translated or not."""

    edge: str | None
    support: str | None

    @classmethod
    def detect(cls) -> "Pinning":
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(edge=None, support=None)
        return cls(edge=str(cpus[0]), support=str(cpus[1]))

    @property
    def edge_cpu(self) -> int | None:
        return None if self.edge is None else int(self.edge)

    @property
    def support_cpu(self) -> int | None:
        return None if self.support is None else int(self.support)

    def describe(self) -> str:
        if self.edge is None:
            return "no pinning (fewer than 2 CPUs available)"
        return (
            f"edge on CPU {self.edge}; upstream, translator, wrk, NATS and the harness on CPU {self.support}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise StackError(f"no VmRSS for process {pid}")


def http_status(url: str, timeout_s: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 (loopback http)
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def post(
    url: str, body: str, api_key: str, headers: Mapping[str, str] | None = None, timeout_s: float = 5.0
) -> tuple[int, bytes]:
    status, _, data = post_with_headers(url, body, api_key, headers, timeout_s)
    return status, data


def post_with_headers(
    url: str, body: str, api_key: str, headers: Mapping[str, str] | None = None, timeout_s: float = 5.0
) -> tuple[int, Message, bytes]:
    """Status, response headers and body of one JSON POST with a bearer key."""
    request = urllib.request.Request(  # noqa: S310 (loopback http)
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


# Limits too high ever to refuse, but every one of them checked: what measures the limiter.
UNREACHED_LIMITS: Final = KeyChanges(rpm=10**9, tpm=10**12, budget_usd=10**9)


async def create_key(nats_url: str, limits: KeyChanges | None = None) -> str:
    client = await asyncio.wait_for(connect(nats_url, "bench"), timeout=10)
    try:
        store = await asyncio.wait_for(KeyStore.open(client), timeout=10)
        key, _ = await asyncio.wait_for(store.create(name="bench", attributes=limits), timeout=10)
        return key
    finally:
        await client.close()


class Stack:
    """NATS, the upstream, the translator and the edge, started in that order and stopped in
    reverse.

    `extra_env` is added to the edge's environment (routes, more providers); it may be filled
    in after construction, e.g. with `upstream_url`, as long as that is before `start`."""

    def __init__(self, pinning: Pinning, extra_env: Mapping[str, str] | None = None) -> None:
        self.pinning = pinning
        self.extra_env = dict(extra_env or {})
        self._affinity = os.sched_getaffinity(0)
        self._tmp = tempfile.TemporaryDirectory(prefix="ingate-bench-")
        self.workdir = Path(self._tmp.name)
        self.nats = NatsServer(HOST, free_port(), self.workdir / "nats")
        self.upstream_port = free_port()
        self.edge_port = free_port()
        self.api_key = ""
        self._upstream: subprocess.Popen[bytes] | None = None
        self._translator: subprocess.Popen[bytes] | None = None
        self._edge: subprocess.Popen[bytes] | None = None
        self._other_edges: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    @property
    def upstream_url(self) -> str:
        return f"http://{HOST}:{self.upstream_port}"

    @property
    def edge_url(self) -> str:
        return f"http://{HOST}:{self.edge_port}"

    @property
    def edge_pid(self) -> int:
        if self._edge is None:
            raise StackError("the edge is not running")
        return self._edge.pid

    @property
    def translator_pid(self) -> int:
        if self._translator is None:
            raise StackError("the translator is not running")
        return self._translator.pid

    def start(self, timeout_s: float = 30.0) -> None:
        self.start_upstream(timeout_s)
        self._translator = self._spawn(
            "translator", list(TRANSLATOR_COMMAND), self.pinning.support, self._env(translator=True)
        )
        self._wait_log("translator", self._translator, TRANSLATOR_READY, timeout_s)
        self._edge = self._spawn("edge", list(EDGE_COMMAND), self.pinning.edge, self._env())
        self._wait_http("edge", self._edge, self.edge_url + "/readyz", timeout_s)

    def start_other_edge(
        self, name: str, python: str, cwd: Path, env: Mapping[str, str], timeout_s: float = 30.0
    ) -> tuple[int, str]:
        """One more edge, run by `python` in `cwd` with `env` added (another revision's sources),
        beside the first on the edge's CPU, with its own port and data directory; its pid and
        URL. Start the stack first: it shares the stack's NATS, key, upstream and translator."""
        port = free_port()
        edge_env = {
            **self._env(),
            "INGATE_EDGE_PORT": str(port),
            "INGATE_DATA_DIR": str(self.workdir / f"data-{name}"),
            **env,
        }
        process = self._spawn(name, [python, "-m", "ingate_cli", "edge"], self.pinning.edge, edge_env, cwd)
        self._other_edges.append(process)
        url = f"http://{HOST}:{port}"
        self._wait_http(name, process, url + "/readyz", timeout_s)
        return process.pid, url

    def start_upstream(self, timeout_s: float = 30.0) -> None:
        """NATS, the bench key and the upstream: what an edge run in the harness's own process needs."""
        if self.pinning.support is not None:
            # The harness itself moves to the support CPU, so NATS (started below, and not
            # through taskset) inherits that CPU and stays off the edge's.
            os.sched_setaffinity(0, {int(self.pinning.support)})
        self.nats.start()
        # BENCH_KEY_LIMITS=1: the whole bench with a limited key.
        limits = UNREACHED_LIMITS if os.environ.get("BENCH_KEY_LIMITS") == "1" else None
        self.api_key = asyncio.run(create_key(self.nats.url, limits))
        self._upstream = self._spawn(
            "upstream",
            [*UPSTREAM_COMMAND, "--host", HOST, "--port", str(self.upstream_port)],
            self.pinning.support,
            None,
        )
        self._wait_http("upstream", self._upstream, self.upstream_url + "/", timeout_s)

    def _env(self, translator: bool = False) -> dict[str, str]:
        # Only the settings below: an INGATE_CONFIG or provider variable in the caller's
        # environment must not change what is measured.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INGATE_", "CLICKHOUSE_"))}
        env["INGATE_NATS_URL"] = self.nats.url
        if translator:
            return env
        env.update(
            {
                "INGATE_EDGE_HOST": HOST,
                "INGATE_EDGE_PORT": str(self.edge_port),
                "INGATE_OPENAI_BASE_URL": self.upstream_url + "/v1",
                "INGATE_OPENAI_API_KEY": "sk-bench-upstream",
                "INGATE_ANTHROPIC_BASE_URL": self.upstream_url,  # Anthropic's has no /v1
                "INGATE_ANTHROPIC_API_KEY": "sk-ant-bench-upstream",
                "INGATE_GEMINI_BASE_URL": self.upstream_url,  # Gemini's has no version either
                "INGATE_GEMINI_API_KEY": "bench-gemini-upstream",
                "INGATE_DATA_DIR": str(self.workdir / "data"),
            }
        )
        # The one knob passed through: INGATE_EVENTS_PUBLISH=false measures the edge without
        # publishing request records (the cost of publishing is the difference).
        if "INGATE_EVENTS_PUBLISH" in os.environ:
            env["INGATE_EVENTS_PUBLISH"] = os.environ["INGATE_EVENTS_PUBLISH"]
        env.update(self.extra_env)
        return env

    def _spawn(
        self, name: str, argv: list[str], cpus: str | None, env: dict[str, str] | None, cwd: Path = ROOT
    ) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        self._logs.append(log)
        pin = ["taskset", "-c", cpus] if cpus is not None else []
        return subprocess.Popen(
            [*pin, *argv], cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
        )

    def _wait_http(self, name: str, process: "subprocess.Popen[bytes]", url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            if http_status(url) == 200:
                return
            time.sleep(0.1)
        raise StackError(f"{name} not ready at {url} within {timeout_s:g}s:\n{self.log_tail(name)}")

    def _wait_log(
        self, name: str, process: "subprocess.Popen[bytes]", ready: bytes, timeout_s: float
    ) -> None:
        """Wait until the process has written `ready` to its log (it serves no HTTP)."""
        path = self.workdir / f"{name}.log"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            if ready in path.read_bytes():
                return
            time.sleep(0.1)
        raise StackError(f"{name} not ready within {timeout_s:g}s:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 2000) -> str:
        path = self.workdir / f"{name}.log"
        try:
            return path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def readiness(self) -> dict[str, object]:
        with urllib.request.urlopen(self.edge_url + "/readyz", timeout=2) as response:  # noqa: S310
            data: dict[str, object] = json.loads(response.read())
            return data

    def close(self) -> None:
        """Stop everything; SIGINT and SIGTERM wait until it is done (a second Ctrl-C must not
        leave a nats-server behind)."""
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._stop_children()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop_children(self) -> None:
        try:
            children = (*self._other_edges, self._edge, self._translator, self._upstream)
            for process in children:
                if process is not None and process.poll() is None:
                    process.terminate()
            for process in children:
                if process is None:
                    continue
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            self._edge = self._translator = self._upstream = None
            self._other_edges.clear()
        finally:
            self.nats.stop()
            for log in self._logs:
                log.close()
            self._logs.clear()
            self._tmp.cleanup()
            os.sched_setaffinity(0, self._affinity)
