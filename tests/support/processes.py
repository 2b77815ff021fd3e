"""Start Ingate's programs as real processes, the way an operator does, and wait for them."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

INGATE = [sys.executable, "-m", "ingate_cli"]

# Variables from the developer's shell that would change what the processes under test do.
_SCRUBBED_PREFIXES = (
    "INGATE_",
    "OPENAI_",
    "ANTHROPIC_",
    "OLLAMA_",
    "GEMINI_",
    "GOOGLE_API_KEY",
    "CLICKHOUSE_",
)


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """A child process with its output in a log file, stopped for sure at the end."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_http(self, url: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            try:
                if httpx.get(url, timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready at {url} in {timeout_s}s:\n{self.output()}")

    def wait_log(self, text: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            if text in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} never logged {text!r} in {timeout_s}s:\n{self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def run_cli(*args: str, env: dict[str, str], timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INGATE, *args], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
