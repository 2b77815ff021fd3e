"""Runs the mock provider as a real subprocess for the whole test session."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import ollama
import openai
import pytest

OPENAI_KEY = "sk-mock-openai"
ANTHROPIC_KEY = "sk-mock-anthropic"
READY_PREFIX = "mock-provider listening on "
STARTUP_TIMEOUT_S = 60.0


def _wait_for_url(proc: subprocess.Popen[str], log: Path) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"mock provider not ready in time; stderr:\n{log.read_text()}")
            if not selector.select(timeout=remaining):
                continue
            line = proc.stdout.readline()
            if not line:
                proc.wait(timeout=5)
                pytest.fail(f"mock provider exited ({proc.returncode}):\n{log.read_text()}")
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip()


def start_mock(log: Path) -> tuple[subprocess.Popen[str], str]:
    """A fresh mock provider subprocess (stderr to ``log``) and its base URL."""
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
    ]
    with log.open("w") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    try:
        return proc, _wait_for_url(proc, log)
    except BaseException:
        stop_mock(proc)
        raise


def stop_mock(proc: subprocess.Popen[str]) -> None:
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
    proc, url = start_mock(tmp_path_factory.mktemp("mock-provider") / "stderr.log")
    try:
        yield url
    finally:
        stop_mock(proc)


@pytest.fixture(scope="session")
def openai_client(mock_provider_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock_provider_url}/v1", api_key=OPENAI_KEY, max_retries=0)


@pytest.fixture(scope="session")
def anthropic_client(mock_provider_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock_provider_url, api_key=ANTHROPIC_KEY, max_retries=0)


@pytest.fixture(scope="session")
def ollama_client(mock_provider_url: str) -> ollama.Client:
    return ollama.Client(host=mock_provider_url)
