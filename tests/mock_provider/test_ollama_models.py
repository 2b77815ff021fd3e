"""The mock's Ollama /api/show and /api/ps, parsed by the official ``ollama`` client."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import ollama
import pytest


def test_show_a_chat_model(ollama_client: ollama.Client) -> None:
    shown = ollama_client.show("llama3.2")
    assert shown.capabilities == ["completion", "tools"]
    assert shown.details is not None
    assert (shown.details.family, shown.details.parameter_size) == ("llama", "3.2B")
    assert shown.modelinfo is not None
    assert shown.modelinfo["llama.context_length"] == 131072
    assert shown.modified_at is not None
    assert "FROM llama3.2:latest" in (shown.modelfile or "")


def test_show_an_embedding_model(ollama_client: ollama.Client) -> None:
    shown = ollama_client.show("nomic-embed-text:latest")
    assert shown.capabilities == ["embedding"]


def test_show_an_unknown_model_is_a_404(ollama_client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_client.show("no-such-model")
    assert caught.value.status_code == 404
    assert caught.value.error == "model 'no-such-model' not found"


def test_ps_lists_the_loaded_model(ollama_client: ollama.Client) -> None:
    loaded = ollama_client.ps().models
    assert [m.model for m in loaded] == ["llama3.2:latest"]
    assert loaded[0].expires_at is not None
    assert loaded[0].expires_at > datetime.now(UTC)
    assert loaded[0].size_vram == loaded[0].size
    assert loaded[0].details is not None and loaded[0].details.family == "llama"


def test_version(mock_provider_url: str) -> None:
    # The client has no call for it; front-ends ask it with a plain GET.
    answer = httpx.get(f"{mock_provider_url}/api/version", timeout=10)
    assert answer.status_code == 200
    assert set(answer.json()) == {"version"}
