"""The official ``ollama`` SDK against the mock provider."""

from __future__ import annotations

import math

import ollama
import pytest

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def test_chat_not_streamed(ollama_client: ollama.Client) -> None:
    response = ollama_client.chat(
        model="llama3.2",
        messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": "why sky"}],
        stream=False,
    )
    assert response.done is True
    assert response.done_reason == "stop"
    assert response.message.role == "assistant"
    expected = "Mock reply from llama3.2: why sky why sky why sky why sky"
    assert response.message.content == expected
    assert (response.prompt_eval_count, response.eval_count) == (3, 12)
    for duration in (
        response.total_duration,
        response.load_duration,
        response.prompt_eval_duration,
        response.eval_duration,
    ):
        assert isinstance(duration, int)
        assert duration > 0
    assert response.created_at is not None
    assert response.created_at.endswith("Z")


def test_chat_streamed_by_default(ollama_client: ollama.Client) -> None:
    parts = list(
        ollama_client.chat(
            model="llama3.2",
            messages=[{"role": "user", "content": "go"}],
            stream=True,
            options={"num_predict": 6},
        )
    )
    assert [p.done for p in parts] == [False] * 6 + [True]
    assert "".join(p.message.content or "" for p in parts) == "Mock reply from llama3.2: go go"
    final = parts[-1]
    assert final.done_reason == "length"
    assert final.eval_count == 6
    assert final.prompt_eval_count == 1


def test_chat_tools(ollama_client: ollama.Client) -> None:
    response = ollama_client.chat(
        model="llama3.2",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[WEATHER_TOOL],
        stream=False,
    )
    calls = response.message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    assert calls[0].function.name == "get_weather"
    assert dict(calls[0].function.arguments) == {"city": "sample", "days": 1}
    streamed = list(
        ollama_client.chat(
            model="llama3.2",
            messages=[{"role": "user", "content": "weather?"}],
            tools=[WEATHER_TOOL],
            stream=True,
        )
    )
    assert streamed[-1].done is True
    with_calls = [p for p in streamed if p.message.tool_calls]
    assert len(with_calls) == 1
    assert with_calls[0].message.tool_calls is not None
    assert with_calls[0].message.tool_calls[0].function.name == "get_weather"


def test_chat_tool_result(ollama_client: ollama.Client) -> None:
    response = ollama_client.chat(
        model="llama3.2",
        messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": ""},
            {"role": "tool", "content": "cloudy"},
        ],
        tools=[WEATHER_TOOL],
        stream=False,
    )
    assert response.message.content == "Tool result received: cloudy"
    assert not response.message.tool_calls


def test_generate(ollama_client: ollama.Client) -> None:
    response = ollama_client.generate(model="qwen2.5:0.5b", prompt="count words", stream=False)
    expected = "Mock reply from qwen2.5:0.5b: count words count words count words count words"
    assert response.response == expected
    assert response.done is True
    assert response.done_reason == "stop"
    parts = list(ollama_client.generate(model="qwen2.5:0.5b", prompt="count words", stream=True))
    assert len(parts) == 13
    assert "".join(p.response or "" for p in parts) == expected
    assert parts[-1].done is True
    assert parts[-1].eval_count == 12


def test_generate_empty_prompt_loads(ollama_client: ollama.Client) -> None:
    response = ollama_client.generate(model="llama3.2")
    assert response.done is True
    assert response.done_reason == "load"


def test_embed(ollama_client: ollama.Client) -> None:
    response = ollama_client.embed(model="nomic-embed-text", input=["a b", "c"])
    assert len(response.embeddings) == 2
    assert all(len(vector) == 8 for vector in response.embeddings)
    assert math.isclose(math.fsum(v * v for v in response.embeddings[0]), 1.0, rel_tol=1e-5)
    assert response.prompt_eval_count == 3
    single = ollama_client.embed(model="nomic-embed-text", input="a b")
    assert list(single.embeddings[0]) == list(response.embeddings[0])
    legacy = ollama_client.embeddings(model="nomic-embed-text", prompt="a b")
    assert list(legacy.embedding) == list(response.embeddings[0])


def test_list(ollama_client: ollama.Client) -> None:
    models = ollama_client.list().models
    names = [m.model for m in models]
    assert "llama3.2:latest" in names
    first = models[0]
    assert first.modified_at is not None
    assert first.size is not None
    assert first.size > 0
    assert first.digest is not None
    assert len(first.digest) == 64
    assert first.details is not None
    assert first.details.format == "gguf"


def test_injected_error(mock_provider_url: str) -> None:
    client = ollama.Client(host=mock_provider_url, headers={"X-Mock-Status": "503"})
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}], stream=False)
    assert caught.value.status_code == 503
    assert "server busy" in caught.value.error
