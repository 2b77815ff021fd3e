"""`INGATE_EDGE_METRICS_PORT`: the edge serves /metrics (and /healthz, /readyz) on a port of its
own, as containers want, and its public port no longer answers /metrics."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingate_config import ConfigError, load_settings
from ingate_nats import NatsServer
from tests.conftest import Edge, start_edge
from tests.support.processes import free_port


@pytest.fixture(scope="module")
def metrics_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def edge_with_metrics_port(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, metrics_port: int
) -> Iterator[Edge]:
    edge = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-metrics-port",
        INGATE_EDGE_METRICS_PORT=str(metrics_port),
    )
    try:
        yield edge
    finally:
        edge.service.stop()


def test_metrics_are_on_their_own_port(edge_with_metrics_port: Edge, metrics_port: int) -> None:
    key = edge_with_metrics_port.new_key()
    chat = httpx.post(
        f"{edge_with_metrics_port.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert chat.status_code == 200
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30)
    assert scraped.status_code == 200
    assert "ingate_edge_requests_total" in scraped.text
    assert key not in scraped.text
    ready = httpx.get(f"http://127.0.0.1:{metrics_port}/readyz", timeout=30)
    assert ready.status_code == 200
    assert ready.json()["keys_loaded"] is True
    assert httpx.get(f"http://127.0.0.1:{metrics_port}/healthz", timeout=30).status_code == 200


def test_the_public_port_no_longer_serves_metrics(edge_with_metrics_port: Edge) -> None:
    public = httpx.get(f"{edge_with_metrics_port.url}/metrics", timeout=30)
    assert public.status_code in (401, 404)
    assert "ingate_edge_requests_total" not in public.text
    assert public.headers["x-ingate-request-id"]
    assert httpx.get(f"{edge_with_metrics_port.url}/readyz", timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"INGATE_EDGE_METRICS_PORT": "70000"}, "edge.metrics_port"),
        ({"INGATE_EDGE_METRICS_PORT": "-1"}, "edge.metrics_port"),
        ({"INGATE_EDGE_METRICS_PORT": "9090", "INGATE_EDGE_PORT": "9090"}, "edge.metrics_port"),
        ({"INGATE_EDGE_METRICS_PORT": "lots"}, "INGATE_EDGE_METRICS_PORT"),
    ],
)
def test_a_bad_metrics_port_is_refused_naming_it(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(environ=environ)
    assert refused.value.setting == setting
