"""A record is priced for the API format of the provider that answered, whatever its name."""

from collections.abc import Iterator
from pathlib import Path

import ollama
import openai
import pytest

from ingate_nats import NatsServer
from ingate_pricing import PriceTable
from ingate_providers import Usage
from tests.conftest import Edge, start_edge
from tests.support.events import tap_records


@pytest.fixture(scope="module")
def local_alias_edge(nats_server: NatsServer, mock_url: str, logs_dir: Path) -> Iterator[Edge]:
    """The suite's providers, and `local-llm`: an operator's alias of format ollama."""
    running = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-local-alias",
        INGATE_LOCAL_LLM_FORMAT="ollama",
        INGATE_LOCAL_LLM_BASE_URL=mock_url,
    )
    try:
        yield running
    finally:
        running.service.stop()


async def test_an_openai_format_alias_is_priced_as_openai(local_alias_edge: Edge, ingate_key: str) -> None:
    client = openai.AsyncOpenAI(
        base_url=local_alias_edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "custom-llm"},
        max_retries=0,
    )
    async with tap_records(local_alias_edge.nats_url) as tap:
        await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "a b c"}])
        records = await tap.wait_for(1)
    record = next(r for r in records if r.provider == "custom-llm")
    usage = Usage(record.input_tokens, record.output_tokens, cache_read_tokens=record.cache_read_tokens)
    assert record.price_known
    assert record.cost_usd == pytest.approx(PriceTable.shipped().cost("gpt-4o", usage, "openai")[0])
    assert record.cost_usd > 0


async def test_a_model_served_by_an_ollama_format_alias_is_local_and_unpriced(
    local_alias_edge: Edge, ingate_key: str
) -> None:
    # The same model name that OpenAI's price covers: served by an Ollama, it runs locally.
    client = ollama.AsyncClient(
        host=local_alias_edge.url,
        headers={"Authorization": f"Bearer {ingate_key}", "X-Ingate-Provider": "local-llm"},
    )
    async with tap_records(local_alias_edge.nats_url) as tap:
        await client.chat(model="gpt-4o", messages=[{"role": "user", "content": "q"}])
        records = await tap.wait_for(1)
    record = next(r for r in records if r.provider == "local-llm")
    assert record.output_tokens > 0
    assert (record.cost_usd, record.price_known) == (0.0, False)
