"""Runs the mock provider as a real subprocess for the whole test session."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anthropic
import httpx
import ollama
import openai
import pytest

OPENAI_KEY = "sk-mock-openai"
ANTHROPIC_KEY = "sk-mock-anthropic"
GEMINI_KEY = "AIza-mock-gemini"
READY_PREFIX = "mock-provider listening on "
CONTROL_PREFIX = "mock-provider control on "
STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RunningMock:
    """A mock provider subprocess: its API base URL and its control port's URL."""

    proc: subprocess.Popen[bytes]
    url: str
    control_url: str


def _wait_for_urls(proc: subprocess.Popen[bytes], log: Path) -> tuple[str, str]:
    """(API URL, control URL) from the ready lines, the control one printed first.

    The pipe is read unbuffered: a buffered reader could hold the second line
    while the selector, seeing the pipe empty, waits for more.
    """
    assert proc.stdout is not None
    control_url = ""
    pending = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"mock provider not ready in time; stderr:\n{log.read_text()}")
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                proc.wait(timeout=5)
                pytest.fail(f"mock provider exited ({proc.returncode}):\n{log.read_text()}")
            pending += chunk
            *lines, rest = pending.split(b"\n")
            pending = rest
            for raw in lines:
                line = raw.decode()
                if line.startswith(CONTROL_PREFIX):
                    control_url = line[len(CONTROL_PREFIX) :].strip()
                elif line.startswith(READY_PREFIX):
                    assert control_url, "the control URL comes before the ready line"
                    return line[len(READY_PREFIX) :].strip(), control_url


def start_mock(log: Path, *args: str) -> RunningMock:
    """A fresh mock provider subprocess (stderr to ``log``, ``args`` appended to its
    command line) and its URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGATE_MOCK_")}
    command = [
        sys.executable,
        "-m",
        "ingate_mock",
        "--port",
        "0",
        "--openai-key",
        OPENAI_KEY,
        "--anthropic-key",
        ANTHROPIC_KEY,
        "--gemini-key",
        GEMINI_KEY,
        *args,
    ]
    with log.open("w") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, bufsize=0, env=env)
    try:
        url, control_url = _wait_for_urls(proc, log)
    except BaseException:
        stop_mock(proc)
        raise
    return RunningMock(proc, url, control_url)


def stop_mock(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a mock provider subprocess (kill it if it lingers)."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="session")
def mock_provider_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of a running mock provider."""
    mock = start_mock(tmp_path_factory.mktemp("mock-provider") / "stderr.log")
    try:
        yield mock.url
    finally:
        stop_mock(mock.proc)


@pytest.fixture(scope="module")
def faulty_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMock]:
    """A mock provider of the test module's own, whose fault schedule its tests change."""
    mock = start_mock(tmp_path_factory.mktemp("faulty-mock") / "stderr.log")
    try:
        yield mock
    finally:
        stop_mock(mock.proc)


@pytest.fixture
def control(faulty_mock: RunningMock) -> Iterator[httpx.Client]:
    """A client of ``faulty_mock``'s control port; each test starts with a healthy
    instance and zero counters."""
    with httpx.Client(base_url=faulty_mock.control_url, timeout=10) as client:
        client.delete("/_mock/faults").raise_for_status()
        client.delete("/_mock/stats").raise_for_status()
        yield client


@pytest.fixture(scope="session")
def openai_client(mock_provider_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock_provider_url}/v1", api_key=OPENAI_KEY, max_retries=0)


@pytest.fixture(scope="session")
def anthropic_client(mock_provider_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock_provider_url, api_key=ANTHROPIC_KEY, max_retries=0)


@pytest.fixture(scope="session")
def ollama_client(mock_provider_url: str) -> ollama.Client:
    return ollama.Client(host=mock_provider_url)
