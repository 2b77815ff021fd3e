"""The official ollama client against the edge; the key travels in `headers=`."""

import ollama
import pytest

from tests.conftest import Edge


@pytest.fixture
def client(edge: Edge, ingate_key: str) -> ollama.Client:
    return ollama.Client(host=edge.url, headers={"Authorization": f"Bearer {ingate_key}"}, timeout=20)


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
