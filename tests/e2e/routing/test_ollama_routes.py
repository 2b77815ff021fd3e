"""An Ollama front-end pointed at Ingate: routes are listed, shown and chatted with,
whatever format their targets speak."""

import ollama
import pytest

from tests.conftest import Edge, Translators


@pytest.fixture
def front_end(routed: Edge, routing_key: str) -> ollama.Client:
    return ollama.Client(host=routed.url, headers={"Authorization": f"Bearer {routing_key}"}, timeout=30)


@pytest.mark.parametrize("route", ["split", "down-llama"])
def test_a_route_is_shown_by_ingate(front_end: ollama.Client, route: str) -> None:
    # No provider knows a route's name, whatever format its targets speak.
    shown = front_end.show(route)
    assert shown.capabilities == ["completion", "tools"]
    assert shown.details is not None
    assert route in (shown.modelfile or "")


def test_a_real_ollama_model_is_shown_by_the_provider(front_end: ollama.Client) -> None:
    shown = front_end.show("llama3.2")
    assert shown.details is not None and shown.details.family == "llama"


def test_listed_routes_can_all_be_shown(front_end: ollama.Client) -> None:
    names = [model.model for model in front_end.list().models]
    assert "split" in names
    for name in names:
        assert name is not None
        assert front_end.show(name).capabilities


def test_chat_with_a_route_to_openai_is_translated(
    front_end: ollama.Client, translators: Translators
) -> None:
    # No X-Ingate-Translate needed: a route's target of another format is always translated.
    parts = list(
        front_end.chat(model="split", messages=[{"role": "user", "content": "hi route"}], stream=True)
    )
    assert "".join(part.message.content or "" for part in parts).startswith(
        "Mock reply from gpt-4o: hi route"
    )
    assert parts[-1].done and parts[-1].eval_count
