"""Fixtures of the end-to-end tests that more than one module uses."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingate_nats import NatsServer
from tests.support.processes import INGATE, Service, clean_env


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
