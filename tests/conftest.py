"""Fixtures shared by the suite: a real nats-server, the mock provider and an edge, as processes."""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client as ClickHouseClient

from ingate_analytics.migrations import apply_migrations
from ingate_nats import NatsServer
from tests.support.nats import running_nats
from tests.support.processes import INGATE, Service, clean_env, free_port, run_cli

MOCK_OPENAI_KEY = "sk-mock-openai-credential"
MOCK_ANTHROPIC_KEY = "sk-mock-anthropic-credential"
MOCK_GEMINI_KEY = "AIza-mock-gemini-credential"


@dataclass
class Edge:
    url: str
    nats_url: str
    service: Service
    env: dict[str, str] = field(repr=False)

    def cli(self, *args: str) -> "tuple[int, str, str]":
        done = run_cli(*args, env=self.env)
        return done.returncode, done.stdout, done.stderr

    def new_key(self, *args: str) -> str:
        code, out, err = self.cli("keys", "create", *args)
        assert code == 0, err
        return out.strip()


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> ClickHouseClient:
    """The real ClickHouse engine (chDB), schema applied. chDB allows one data path per
    process, so every in-process test shares this client (processes under test have their own)."""
    client = clickhouse_connect.get_client(interface="chdb", path=str(tmp_path_factory.mktemp("chdb")))
    apply_migrations(client)
    return client


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    with running_nats(tmp_path_factory.mktemp("jetstream")) as server:
        yield server


@contextlib.contextmanager
def running_mock(logs_dir: Path, name: str = "mock-provider") -> Iterator[str]:
    """A mock provider process holding the suite's provider keys; its URL while it runs."""
    port = free_port()
    service = Service(
        name,
        [*INGATE, "mock-provider", "--port", str(port), "--openai-key", MOCK_OPENAI_KEY,
         "--anthropic-key", MOCK_ANTHROPIC_KEY, "--gemini-key", MOCK_GEMINI_KEY],
        clean_env(),
        logs_dir,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        service.wait_http(f"{url}/healthz")
        yield url
    finally:
        service.stop()


@pytest.fixture(scope="session")
def mock_url(logs_dir: Path) -> Iterator[str]:
    with running_mock(logs_dir) as url:
        yield url


def edge_env(nats_url: str, mock_url: str, port: int, **extra: str) -> dict[str, str]:
    return clean_env(
        INGATE_NATS_URL=nats_url,
        INGATE_EDGE_HOST="127.0.0.1",
        INGATE_EDGE_PORT=str(port),
        INGATE_EDGE_MAX_BODY_BYTES=str(1024 * 1024),
        INGATE_EDGE_MAX_HEADER_BYTES=str(16 * 1024),
        INGATE_OPENAI_BASE_URL=f"{mock_url}/v1",
        INGATE_OPENAI_API_KEY=MOCK_OPENAI_KEY,
        INGATE_ANTHROPIC_BASE_URL=mock_url,
        INGATE_ANTHROPIC_API_KEY=MOCK_ANTHROPIC_KEY,
        INGATE_OLLAMA_BASE_URL=mock_url,
        INGATE_GEMINI_BASE_URL=mock_url,
        INGATE_GEMINI_API_KEY=MOCK_GEMINI_KEY,
        # An operator's alias for an OpenAI-compatible upstream.
        INGATE_CUSTOM_LLM_FORMAT="openai",
        INGATE_CUSTOM_LLM_BASE_URL=f"{mock_url}/v1",
        INGATE_CUSTOM_LLM_API_KEY=MOCK_OPENAI_KEY,
        # Nothing listens here: forwarding must fail with 502.
        INGATE_DEAD_FORMAT="openai",
        INGATE_DEAD_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        INGATE_DEAD_API_KEY="sk-unused",
        # Same mock, but a one-second read timeout: slow answers must become 504.
        INGATE_SLOW_FORMAT="openai",
        INGATE_SLOW_BASE_URL=f"{mock_url}/v1",
        INGATE_SLOW_API_KEY=MOCK_OPENAI_KEY,
        INGATE_SLOW_READ_TIMEOUT_S="1",
        **extra,
    )


def start_edge(
    nats_url: str,
    mock_url: str,
    logs_dir: Path,
    name: str = "edge",
    data_dir: Path | None = None,
    **extra: str,
) -> Edge:
    port = free_port()
    if data_dir is not None:
        extra["INGATE_DATA_DIR"] = str(data_dir)
    return launch_edge(name, edge_env(nats_url, mock_url, port, **extra), port, logs_dir)


def launch_edge(name: str, env: dict[str, str], port: int, logs_dir: Path) -> Edge:
    """`ingate edge` with `env` (which says the port and NATS), once it is ready."""
    service = Service(name, [*INGATE, "edge"], env, logs_dir)
    url = f"http://127.0.0.1:{port}"
    service.wait_http(f"{url}/readyz")
    return Edge(url=url, nats_url=env["INGATE_NATS_URL"], service=service, env=env)


@pytest.fixture(scope="session")
def edge(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    running = start_edge(nats_server.url, mock_url, logs_dir, data_dir=tmp_path_factory.mktemp("edge-data"))
    try:
        yield running
    finally:
        running.service.stop()


class Translators:
    """Translator replicas as processes; tests may stop and start them."""

    def __init__(self, nats_url: str, logs_dir: Path) -> None:
        self.nats_url = nats_url
        self.logs_dir = logs_dir
        self.running: list[Service] = []
        self._started = 0

    def start(self) -> Service:
        self._started += 1
        service = Service(
            f"translator-{self._started}",
            [*INGATE, "translator"],
            clean_env(INGATE_NATS_URL=self.nats_url),
            self.logs_dir,
        )
        service.wait_log("ingate translator serving")
        self.running.append(service)
        return service

    def stop(self, service: Service) -> None:
        service.stop()
        self.running.remove(service)

    def stop_all(self) -> None:
        for service in list(self.running):
            self.stop(service)


@pytest.fixture(scope="session")
def translators(nats_server: NatsServer, logs_dir: Path) -> Iterator[Translators]:
    pool = Translators(nats_server.url, logs_dir)
    pool.start()
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="session")
def ingate_key(edge: Edge) -> str:
    return edge.new_key("--name", "test-suite", "--user", "suite-owner")
