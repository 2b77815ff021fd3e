"""A traced stack of real processes: nats-server, translator, analytics and edge, exporting
spans over OTLP/HTTP to a receiver in this test process, each with its operations listener.

The stack has its own nats-server: the durable `analytics` consumer is shared by every
analytics process on a server, and this one must see every record these tests make.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ingate_nats import NatsServer
from tests.analytics.processes import analytics_env
from tests.conftest import edge_env
from tests.support.processes import INGATE, Service, clean_env, free_port, run_cli
from tests.telemetry.receiver import TraceReceiver

CLAUDE = "claude-sonnet-4-20250514"


@dataclass
class TracedStack:
    receiver: TraceReceiver
    edge_url: str
    key: str
    translator_ops: str
    analytics_ops: str
    services: dict[str, Service]


def tracing_env(receiver: TraceReceiver) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds: spans reach the receiver quickly
    }


@pytest.fixture(scope="package")
def traced_stack(
    mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TracedStack]:
    receiver = TraceReceiver().start()
    nats = NatsServer("127.0.0.1", free_port(), tmp_path_factory.mktemp("traced-jetstream"))
    nats.start()
    services: dict[str, Service] = {}
    try:
        traced = tracing_env(receiver)
        translator_port, analytics_port, edge_port = free_port(), free_port(), free_port()
        services["translator"] = Service(
            "traced-translator",
            [*INGATE, "translator"],
            clean_env(INGATE_NATS_URL=nats.url, INGATE_TELEMETRY_METRICS_PORT=str(translator_port), **traced),
            logs_dir,
        )
        analytics = analytics_env(nats.url, tmp_path_factory.mktemp("traced-analytics"))
        analytics["INGATE_TELEMETRY_METRICS_PORT"] = str(analytics_port)
        services["analytics"] = Service(
            "traced-analytics", [*INGATE, "analytics"], {**analytics, **traced}, logs_dir
        )
        edge = edge_env(nats.url, mock_url, edge_port, **traced)
        services["edge"] = Service("traced-edge", [*INGATE, "edge"], edge, logs_dir)
        edge_url = f"http://127.0.0.1:{edge_port}"
        services["edge"].wait_http(f"{edge_url}/readyz")
        translator_ops = f"http://127.0.0.1:{translator_port}"
        analytics_ops = f"http://127.0.0.1:{analytics_port}"
        services["translator"].wait_http(f"{translator_ops}/readyz")
        services["analytics"].wait_http(f"{analytics_ops}/readyz", timeout_s=60)
        created = run_cli("keys", "create", "--name", "traced", env=edge)
        assert created.returncode == 0, created.stderr
        yield TracedStack(receiver, edge_url, created.stdout.strip(), translator_ops, analytics_ops, services)
    finally:
        for service in services.values():
            service.stop()
        nats.stop()
        receiver.stop()


def translated_chat(stack: TracedStack, headers: dict[str, str] | None = None) -> str:
    """A translated OpenAI-format chat through the stack's edge; its request id."""
    response = httpx.post(
        f"{stack.edge_url}/v1/chat/completions",
        headers={
            "Authorization": f"Bearer {stack.key}",
            "X-Ingate-Provider": "anthropic",
            "X-Ingate-Translate": "true",
            **(headers or {}),
        },
        json={"model": CLAUDE, "messages": [{"role": "user", "content": "Hello"}]},
        timeout=20,
    )
    assert response.status_code == 200, response.text
    request_id: str = response.headers["x-ingate-request-id"]
    return request_id
