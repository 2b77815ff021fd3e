"""A provider whose credential variable is not set: the edge starts with a warning naming it, and
answers that provider's requests with a clear 503 in the caller's dialect; the others serve."""

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from ingate_nats import NatsServer
from tests.conftest import Edge, start_edge

_UNSET = "INGATE_TEST_NEVER_SET_KEY"


@pytest.fixture(scope="module")
def keyless_edge(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    config = tmp_path_factory.mktemp("keyless") / "ingate.yaml"
    config.write_text(
        "providers:\n"
        "  - name: keyless\n"
        "    format: openai\n"
        f"    base_url: {mock_url}/v1\n"
        f"    api_key_env: {_UNSET}\n"
        "  - name: keyless-anthropic\n"
        "    format: anthropic\n"
        f"    base_url: {mock_url}\n"
        f"    api_key_env: {_UNSET}\n"
    )
    edge = start_edge(nats_server.url, mock_url, logs_dir, name="edge-keyless", INGATE_CONFIG=str(config))
    try:
        yield edge
    finally:
        edge.service.stop()


def test_the_edge_starts_and_says_which_variable_is_missing(keyless_edge: Edge) -> None:
    keyless_edge.service.wait_log(f"provider keyless: {_UNSET} is not set")


def test_its_requests_get_a_clear_503_in_the_openai_dialect(keyless_edge: Edge) -> None:
    client = openai.OpenAI(
        base_url=f"{keyless_edge.url}/v1",
        api_key=keyless_edge.new_key(),
        default_headers={"X-Ingate-Provider": "keyless"},
        max_retries=0,
    )
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 503
    assert refused.value.code == "provider_credential_missing"
    assert _UNSET in refused.value.message
    assert refused.value.response.headers["x-ingate-request-id"]


def test_its_requests_get_a_clear_503_in_the_anthropic_dialect(keyless_edge: Edge) -> None:
    client = anthropic.Anthropic(
        base_url=keyless_edge.url,
        api_key=keyless_edge.new_key(),
        default_headers={"X-Ingate-Provider": "keyless-anthropic"},
        max_retries=0,
    )
    with pytest.raises(anthropic.APIStatusError) as refused:
        client.messages.create(
            model="claude-sonnet-4-20250514", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert refused.value.status_code == 503
    assert _UNSET in str(refused.value.message)


def test_the_other_providers_still_serve(keyless_edge: Edge) -> None:
    client = openai.OpenAI(base_url=f"{keyless_edge.url}/v1", api_key=keyless_edge.new_key(), max_retries=0)
    answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content
