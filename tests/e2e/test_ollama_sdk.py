"""The official ollama client against the edge; the key travels in `headers=`.

Every Ollama path passes through to an Ollama provider; /api/show, /api/ps and /api/version
are answered by Ingate itself when the provider named is of another format.
"""

import httpx
import ollama
import pytest

from ingate_providers.ollama import API_VERSION
from tests.conftest import Edge


@pytest.fixture
def client(edge: Edge, ingate_key: str) -> ollama.Client:
    return ollama.Client(host=edge.url, headers={"Authorization": f"Bearer {ingate_key}"}, timeout=20)


@pytest.fixture
def to_openai(edge: Edge, ingate_key: str) -> ollama.Client:
    """An Ollama client whose requests name the OpenAI provider."""
    headers = {"Authorization": f"Bearer {ingate_key}", "X-Ingate-Provider": "openai"}
    return ollama.Client(host=edge.url, headers=headers, timeout=20)


def test_chat(client: ollama.Client) -> None:
    response = client.chat(model="llama3.2", messages=[{"role": "user", "content": "hi there"}], stream=False)
    assert response.message.role == "assistant"
    assert (response.message.content or "").startswith("Mock reply from llama3.2:")
    assert response.done and response.eval_count


def test_chat_streaming(client: ollama.Client) -> None:
    parts = list(
        client.chat(model="llama3.2", messages=[{"role": "user", "content": "a b c d"}], stream=True)
    )
    assert len(parts) > 3
    assert parts[-1].done and not parts[0].done
    assert "".join(p.message.content or "" for p in parts).startswith("Mock reply from llama3.2:")


def test_generate(client: ollama.Client) -> None:
    response = client.generate(model="llama3.2", prompt="why is the sky blue", stream=False)
    assert (response.response or "").startswith("Mock reply from llama3.2:")


def test_generate_streaming(client: ollama.Client) -> None:
    parts = list(client.generate(model="llama3.2", prompt="why is the sky blue", stream=True))
    assert len(parts) > 3 and parts[-1].done
    assert "".join(p.response or "" for p in parts).startswith("Mock reply from llama3.2:")


def test_embed_and_list(client: ollama.Client) -> None:
    embedded = client.embed(model="nomic-embed-text", input=["a", "b"])
    assert len(embedded.embeddings) == 2
    assert client.list().models


async def test_async_client(edge: Edge, ingate_key: str) -> None:
    client = ollama.AsyncClient(host=edge.url, headers={"Authorization": f"Bearer {ingate_key}"})
    response = await client.chat(model="llama3.2", messages=[{"role": "user", "content": "async"}])
    assert (response.message.content or "").startswith("Mock reply")


def test_missing_key_raises_response_error(edge: Edge) -> None:
    client = ollama.Client(host=edge.url)
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}], stream=False)
    assert caught.value.status_code == 401
    assert "Ingate API key" in caught.value.error


def test_show(client: ollama.Client) -> None:
    shown = client.show("llama3.2")
    assert shown.capabilities == ["completion", "tools"]
    assert shown.details is not None and shown.details.family == "llama"
    assert shown.modelinfo is not None and shown.modelinfo["llama.context_length"] > 0


def test_show_of_an_unknown_model_is_the_providers_404(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        client.show("no-such-model")
    assert caught.value.status_code == 404
    assert "not found" in caught.value.error


def test_ps(client: ollama.Client) -> None:
    loaded = client.ps().models
    assert [model.model for model in loaded] == ["llama3.2:latest"]
    assert loaded[0].expires_at is not None


def test_version(edge: Edge, ingate_key: str) -> None:
    # The client has no call for it; front-ends GET it to check the server.
    answer = httpx.get(
        f"{edge.url}/api/version", headers={"Authorization": f"Bearer {ingate_key}"}, timeout=20
    )
    assert answer.status_code == 200
    assert answer.headers["x-ingate-request-id"].startswith("req_")
    assert answer.json() == {"version": "0.11.4"}  # the mock Ollama's own


def test_legacy_embeddings(client: ollama.Client) -> None:
    legacy = client.embeddings(model="nomic-embed-text", prompt="a b")
    assert len(legacy.embedding) > 0
    assert list(legacy.embedding) == list(client.embed(model="nomic-embed-text", input="a b").embeddings[0])


def test_show_of_another_providers_model_is_answered_by_ingate(to_openai: ollama.Client) -> None:
    shown = to_openai.show("gpt-4o")
    assert shown.capabilities == ["completion", "tools"]
    assert shown.details is not None
    assert shown.modelinfo == {}


def test_ps_and_version_of_another_provider(edge: Edge, ingate_key: str, to_openai: ollama.Client) -> None:
    assert list(to_openai.ps().models) == []  # nothing loaded on this machine
    headers = {"Authorization": f"Bearer {ingate_key}", "X-Ingate-Provider": "openai"}
    answer = httpx.get(f"{edge.url}/api/version", headers=headers, timeout=20)
    assert answer.status_code == 200
    assert answer.json() == {"version": API_VERSION}


def test_a_local_answer_still_needs_a_key(edge: Edge) -> None:
    answer = httpx.get(f"{edge.url}/api/version", headers={"X-Ingate-Provider": "openai"}, timeout=20)
    assert answer.status_code == 401
    assert set(answer.json()) == {"error", "request_id"}


def test_embeddings_of_another_provider_need_translation_ingate_does_not_do(to_openai: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        to_openai.embeddings(model="text-embedding-3-small", prompt="x")
    assert caught.value.status_code == 400
    assert "X-Ingate-Translate" in caught.value.error
