"""Routes appear where SDKs look for models: model lists in each format, and a lookup by name."""

import anthropic
import ollama
import openai

from tests.conftest import Edge


def test_openai_model_list_and_lookup_show_routes(routed: Edge, routing_key: str) -> None:
    client = openai.OpenAI(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
    ids = [model.id for model in client.models.list()]
    assert {"split", "failover", "busy"} <= set(ids)
    assert len(ids) > len({"split", "failover", "busy"})  # the provider's own models stay
    assert len(ids) == len(set(ids))
    model = client.models.retrieve("split")
    assert (model.id, model.object, model.owned_by) == ("split", "model", "ingate")
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"  # real models still go to the provider


def test_anthropic_model_list_shows_routes(routed: Edge, routing_key: str) -> None:
    client = anthropic.Anthropic(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
    models = {model.id: model for model in client.models.list()}
    assert models["cross-claude"].type == "model"
    assert any(name.startswith("claude") for name in models)
    assert client.models.retrieve("down-claude").display_name == "down-claude"


def test_ollama_tags_show_routes(routed: Edge, routing_key: str) -> None:
    client = ollama.Client(host=routed.url, headers={"Authorization": f"Bearer {routing_key}"}, timeout=30)
    names = [model.model for model in client.list().models]
    assert "down-llama" in names and len(names) > 1
