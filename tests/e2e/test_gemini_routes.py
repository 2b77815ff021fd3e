"""A route named in a Gemini path (/v1beta/models/<route>:generateContent) is served by the
router: each attempt's model goes into the path, where Gemini names it, not into the body."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from google import genai
from google.genai import types

from ingate_nats import NatsServer
from tests.conftest import MOCK_GEMINI_KEY, Edge, start_edge
from tests.support.events import tap_records
from tests.support.processes import free_port

ROUTES = [
    {"name": "gemini-smart", "targets": [{"provider": "gemini", "model": "gemini-2.5-pro"}]},
    {
        "name": "gemini-failover",
        "targets": [{"provider": "gemini-dead", "model": "gemini-2.5-pro"}],
        "fallbacks": [{"provider": "gemini", "model": "gemini-2.0-flash"}],
    },
]


@pytest.fixture(scope="module")
def routed_edge(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    routes = tmp_path_factory.mktemp("gemini-routes") / "routes.yaml"
    routes.write_text(yaml.safe_dump(ROUTES))
    edge = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-gemini-routes",
        INGATE_ROUTES_FILE=str(routes),
        # A Gemini deployment nobody answers at: its attempt fails to connect.
        INGATE_GEMINI_DEAD_FORMAT="gemini",
        INGATE_GEMINI_DEAD_BASE_URL=f"http://127.0.0.1:{free_port()}",
        INGATE_GEMINI_DEAD_API_KEY=MOCK_GEMINI_KEY,
    )
    try:
        yield edge
    finally:
        edge.service.stop()


@pytest.fixture(scope="module")
def client(routed_edge: Edge) -> genai.Client:
    key = routed_edge.new_key("--name", "gemini-routes")
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=routed_edge.url))


def _headers(response: types.HttpResponse | None) -> dict[str, str]:
    assert response is not None and response.headers is not None
    return {name.lower(): value for name, value in response.headers.items()}


async def test_a_route_in_the_path_is_answered_by_its_target(routed_edge: Edge, client: genai.Client) -> None:
    async with tap_records(routed_edge.nats_url) as tap:
        reply = await client.aio.models.generate_content(model="gemini-smart", contents="hello")
        headers = _headers(reply.sdk_http_response)
        record = await tap.record_for(headers["x-ingate-request-id"])
    assert (reply.text or "").startswith("Mock reply from gemini-2.5-pro: hello")
    assert reply.model_version == "gemini-2.5-pro"  # the provider was asked for the target's model
    assert (headers["x-ingate-target"], headers["x-ingate-attempts"]) == ("gemini/gemini-2.5-pro", "1")
    assert (record.route, record.provider, record.model) == ("gemini-smart", "gemini", "gemini-2.5-pro")
    assert (record.input_tokens, record.output_tokens) == (1, 12)


async def test_a_routed_stream_falls_back_to_the_next_deployment(
    routed_edge: Edge, client: genai.Client
) -> None:
    stream = await client.aio.models.generate_content_stream(model="gemini-failover", contents="go")
    chunks = [chunk async for chunk in stream]
    assert "".join(c.text or "" for c in chunks).startswith("Mock reply from gemini-2.0-flash: go")
    headers = _headers(chunks[0].sdk_http_response)
    assert (headers["x-ingate-target"], headers["x-ingate-attempts"]) == ("gemini/gemini-2.0-flash", "2")


def test_routes_are_listed_and_looked_up_as_gemini_models(client: genai.Client) -> None:
    names = [model.name for model in client.models.list()]
    assert {"models/gemini-2.5-flash", "models/gemini-smart", "models/gemini-failover"} <= set(names)
    assert client.models.get(model="gemini-smart").name == "models/gemini-smart"
