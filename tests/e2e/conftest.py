"""Fixtures of the end-to-end tests that more than one module uses."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingate_nats import NatsServer
from tests.conftest import MOCK_OPENAI_KEY, Edge, start_edge
from tests.support.processes import INGATE, Service, clean_env


@pytest.fixture(scope="session")
def keyed_ollama_edge(nats_server: NatsServer, mock_url: str, logs_dir: Path, edge: Edge) -> Iterator[Edge]:
    """An edge whose Ollama provider has a key, as one behind a proxy does: the mock's OpenAI
    API (which Ollama serves under /v1) wants one."""
    del edge  # started first: it owns the key store this edge shares
    running = start_edge(
        nats_server.url, mock_url, logs_dir, "edge-keyed-ollama", INGATE_OLLAMA_API_KEY=MOCK_OPENAI_KEY
    )
    try:
        yield running
    finally:
        running.service.stop()


@pytest.fixture(scope="session")
def analytics(
    nats_server: NatsServer, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The analytics service storing the suite's records into its embedded ClickHouse engine."""
    service = Service(
        "analytics",
        [*INGATE, "analytics"],
        clean_env(
            INGATE_NATS_URL=nats_server.url,
            INGATE_DATA_DIR=str(tmp_path_factory.mktemp("analytics-data")),
            INGATE_ANALYTICS_FLUSH_INTERVAL_MS="100",
        ),
        logs_dir,
    )
    service.wait_log("ingate analytics consuming", timeout_s=60)
    try:
        yield service
    finally:
        service.stop()
