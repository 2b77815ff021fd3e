"""Routes end to end: three mock provider instances behind two edges sharing one NATS.

Each mock instance is one provider deployment whose fault schedule a test sets through
the mock's control port; the edges know them as several providers (one per API format)
and serve the routes in `ROUTES`. Every test leaves the schedules cleared.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml

from ingate_nats import NatsServer
from tests.conftest import MOCK_ANTHROPIC_KEY, MOCK_OPENAI_KEY, Edge, launch_edge
from tests.support.processes import INGATE, Service, clean_env, free_port


class Mock:
    """One mock provider process: its API URL and its fault schedule."""

    def __init__(self, name: str, logs_dir: Path) -> None:
        self.name = name
        port, control = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.control_url = f"http://127.0.0.1:{control}"
        command = [
            *INGATE,
            "mock-provider",
            "--port",
            str(port),
            "--control-port",
            str(control),
            "--openai-key",
            MOCK_OPENAI_KEY,
            "--anthropic-key",
            MOCK_ANTHROPIC_KEY,
        ]
        self.service = Service(f"mock-{name}", command, clean_env(), logs_dir)
        self.service.wait_http(f"{self.url}/healthz")

    def faults(self, **schedule: Any) -> None:
        answer = httpx.post(f"{self.control_url}/_mock/faults", json=schedule, timeout=10)
        assert answer.status_code == 200, answer.text

    def clear(self) -> None:
        httpx.delete(f"{self.control_url}/_mock/faults", timeout=10).raise_for_status()
        httpx.delete(f"{self.control_url}/_mock/stats", timeout=10).raise_for_status()

    def requests(self) -> int:
        """API requests this instance received since the last clear."""
        stats = httpx.get(f"{self.control_url}/_mock/stats", timeout=10).json()
        count: int = stats["requests"]
        return count


class Mocks:
    def __init__(self, logs_dir: Path) -> None:
        self.alpha = Mock("alpha", logs_dir)
        self.beta = Mock("beta", logs_dir)
        self.gamma = Mock("gamma", logs_dir)
        self.all = (self.alpha, self.beta, self.gamma)


def _provider(name: str, fmt: str, base_url: str) -> dict[str, Any]:
    key = MOCK_ANTHROPIC_KEY if fmt == "anthropic" else MOCK_OPENAI_KEY
    return {"name": name, "format": fmt, "base_url": base_url, "api_key": key}


def _target(provider: str, model: str, **extra: Any) -> dict[str, Any]:
    return {"provider": provider, "model": model, **extra}


def _failover(name: str, primary: str, fallback: str, model: str) -> dict[str, Any]:
    return {"name": name, "targets": [_target(primary, model)], "fallbacks": [_target(fallback, model)]}


def _routes() -> list[dict[str, Any]]:
    return [
        # Each test has routes of its own, with models of their own: a cooldown one test
        # causes is then no other test's business.
        {
            "name": "split",
            "targets": [_target("alpha", "gpt-4o", weight=3), _target("beta", "gpt-4o", weight=1)],
        },
        _failover("failover", "alpha", "beta", "gpt-4o-mini"),
        _failover("refused", "alpha", "beta", "gpt-4.1"),
        _failover("limited", "alpha", "beta", "gpt-4.1-mini"),
        _failover("streamed", "alpha", "beta", "gpt-4.1-nano"),
        _failover("broken", "alpha", "beta", "o3-mini"),
        {
            "name": "cross",
            "targets": [_target("alpha", "o4-mini")],
            "fallbacks": [_target("claude", "claude-3-5-haiku-20241022")],
        },
        {
            "name": "cross-claude",
            "targets": [_target("claude", "claude-3-7-sonnet-20250219")],
            "fallbacks": [_target("beta", "gpt-4o-2024-11-20")],
        },
        {"name": "down", "targets": [_target("dead", "gpt-4o")], "fallbacks": [_target("alpha", "o1")]},
        {
            "name": "down-claude",
            "targets": [_target("dead-claude", "claude-opus-4-20250514")],
            "fallbacks": [_target("claude", "claude-opus-4-20250514")],
        },
        _failover("down-llama", "dead-llama", "llama", "llama3.2"),
        {
            "name": "busy",
            "strategy": "least-busy",
            "targets": [_target("alpha", "gpt-4-turbo"), _target("beta", "gpt-4-turbo")],
        },
        {
            "name": "outage",
            "targets": [_target("alpha", "gpt-3.5-turbo"), _target("beta", "gpt-3.5-turbo")],
            "cooldown_s": 2,
        },
        {
            "name": "charged",
            "targets": [_target("alpha", "gpt-4o-2024-08-06"), _target("gamma", "gpt-4o-2024-08-06")],
            "fallbacks": [_target("beta", "gpt-4o-2024-08-06")],
            "strategy": "weighted",
        },
    ]


@pytest.fixture(scope="package")
def mocks(logs_dir: Path) -> Iterator[Mocks]:
    running = Mocks(logs_dir)
    try:
        yield running
    finally:
        for mock in running.all:
            mock.service.stop()


@pytest.fixture(autouse=True)
def healthy_mocks(mocks: Mocks) -> Iterator[None]:
    for mock in mocks.all:
        mock.clear()
    yield
    for mock in mocks.all:
        mock.clear()


@pytest.fixture(scope="package")
def routing_config(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dead = f"http://127.0.0.1:{free_port()}"
    config = {
        "providers": [
            # The built-ins, so real model names and model lists work too.
            _provider("openai", "openai", f"{mocks.gamma.url}/v1"),
            _provider("anthropic", "anthropic", mocks.gamma.url),
            _provider("ollama", "ollama", mocks.gamma.url),
            _provider("alpha", "openai", f"{mocks.alpha.url}/v1"),
            _provider("beta", "openai", f"{mocks.beta.url}/v1"),
            _provider("gamma", "openai", f"{mocks.gamma.url}/v1"),
            _provider("claude", "anthropic", mocks.gamma.url),
            _provider("llama", "ollama", mocks.gamma.url),
            _provider("dead", "openai", f"{dead}/v1"),
            _provider("dead-claude", "anthropic", dead),
            _provider("dead-llama", "ollama", dead),
        ],
        "routes": _routes(),
    }
    path = tmp_path_factory.mktemp("routing") / "ingate.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _start(nats_url: str, config: Path, logs_dir: Path, name: str, data_dir: Path) -> Edge:
    port = free_port()
    env = clean_env(
        INGATE_CONFIG=str(config),
        INGATE_NATS_URL=nats_url,
        INGATE_EDGE_HOST="127.0.0.1",
        INGATE_EDGE_PORT=str(port),
        INGATE_DATA_DIR=str(data_dir),
    )
    return launch_edge(name, env, port, logs_dir)


@pytest.fixture(scope="package")
def routing_edges(
    nats_server: NatsServer, routing_config: Path, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Edge, Edge]]:
    first = _start(nats_server.url, routing_config, logs_dir, "edge-routes-1", tmp_path_factory.mktemp("r1"))
    try:
        second = _start(
            nats_server.url, routing_config, logs_dir, "edge-routes-2", tmp_path_factory.mktemp("r2")
        )
    except BaseException:
        first.service.stop()
        raise
    try:
        yield first, second
    finally:
        second.service.stop()
        first.service.stop()


@pytest.fixture(scope="package")
def routed(routing_edges: tuple[Edge, Edge]) -> Edge:
    return routing_edges[0]


@pytest.fixture(scope="package")
def routing_key(routed: Edge) -> str:
    return routed.new_key("--name", "routing-suite", "--user", "router")


def decode(body: bytes) -> Any:
    return msgspec.json.decode(body)
