"""An Ollama client talking to OpenAI, Anthropic and Gemini providers through the translator.

The client sends `X-Ingate-Provider` and `X-Ingate-Translate: true`; it must see only
Ollama's shapes: answers, NDJSON streams with the counts on the last line, tool calls with
object arguments, and errors it raises as ResponseError.
"""

import json
from typing import Any

import httpx
import ollama
import pytest

from tests.conftest import Edge, Translators

CLAUDE = "claude-sonnet-4-20250514"
PROVIDERS = [("openai", "gpt-4o"), ("anthropic", CLAUDE), ("gemini", "gemini-2.5-flash")]
WEATHER_TOOL: Any = {
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


def translating(edge: Edge, key: str, provider: str, more: dict[str, str] | None = None) -> ollama.Client:
    headers = {"Authorization": f"Bearer {key}", "X-Ingate-Provider": provider, "X-Ingate-Translate": "true"}
    headers.update(more or {})
    return ollama.Client(host=edge.url, headers=headers, timeout=30)


@pytest.fixture
def to_gpt(edge: Edge, ingate_key: str, translators: Translators) -> ollama.Client:
    return translating(edge, ingate_key, "openai")


@pytest.fixture
def to_claude(edge: Edge, ingate_key: str, translators: Translators) -> ollama.Client:
    return translating(edge, ingate_key, "anthropic")


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_chat(edge: Edge, ingate_key: str, translators: Translators, provider: str, model: str) -> None:
    client = translating(edge, ingate_key, provider)
    response = client.chat(
        model=model,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
        stream=False,
        options={"num_ctx": 8192, "temperature": 0.5},
    )
    assert response.model == model
    assert (response.message.content or "").startswith(f"Mock reply from {model}: Hello there")
    assert response.done and response.done_reason == "stop"
    assert response.prompt_eval_count and response.eval_count


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_chat_stream(
    edge: Edge, ingate_key: str, translators: Translators, provider: str, model: str
) -> None:
    client = translating(edge, ingate_key, provider)
    parts = list(client.chat(model=model, messages=[{"role": "user", "content": "a b c d"}], stream=True))
    assert len(parts) > 2
    assert [part.done for part in parts] == [False] * (len(parts) - 1) + [True]
    text = "".join(part.message.content or "" for part in parts)
    assert text.startswith(f"Mock reply from {model}: a b c d")
    assert parts[-1].eval_count == len(text.split())
    assert parts[-1].prompt_eval_count


def test_a_stream_is_ndjson(edge: Edge, ingate_key: str, translators: Translators) -> None:
    headers = {
        "Authorization": f"Bearer {ingate_key}",
        "X-Ingate-Provider": "openai",
        "X-Ingate-Translate": "true",
    }
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}  # streams by default
    with httpx.stream("POST", f"{edge.url}/api/chat", json=body, headers=headers, timeout=30) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in answer.iter_lines() if line]
    assert lines[-1]["done"] is True and lines[-1]["done_reason"] == "stop"
    assert all(line["done"] is False for line in lines[:-1])


def test_generate(to_gpt: ollama.Client) -> None:
    response = to_gpt.generate(model="gpt-4o", prompt="why is the sky blue", system="Be brief.", stream=False)
    assert (response.response or "").startswith("Mock reply from gpt-4o: why is the sky blue")
    streamed = list(to_gpt.generate(model="gpt-4o", prompt="why is the sky blue", stream=True))
    assert streamed[-1].done
    assert "".join(part.response or "" for part in streamed).startswith("Mock reply from gpt-4o:")


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_a_tool_loop(
    edge: Edge, ingate_key: str, translators: Translators, provider: str, model: str
) -> None:
    client = translating(edge, ingate_key, provider)
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = client.chat(model=model, messages=messages, tools=[WEATHER_TOOL], stream=False)
    calls = first.message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_weather"]
    assert dict(calls[0].function.arguments) == {"city": "sample", "days": 1}
    messages += [first.message, {"role": "tool", "tool_name": "get_weather", "content": "sunny, 21C"}]
    second = client.chat(model=model, messages=messages, tools=[WEATHER_TOOL], stream=False)
    assert "sunny, 21C" in (second.message.content or "")


def test_streamed_tool_calls(to_gpt: ollama.Client) -> None:
    parts = list(
        to_gpt.chat(
            model="gpt-4o",
            messages=[{"role": "user", "content": "weather?"}],
            tools=[WEATHER_TOOL],
            stream=True,
        )
    )
    calls = [call for part in parts for call in part.message.tool_calls or ()]
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "sample", "days": 1})
    ]
    assert parts[-1].done


def test_a_refusal_names_the_parameter(to_gpt: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        to_gpt.generate(model="gpt-4o", prompt="def f(", suffix="    return 1", stream=False)
    assert caught.value.status_code == 400
    assert "suffix" in caught.value.error


@pytest.mark.parametrize("status", [429, 500])
def test_a_provider_error_is_a_response_error(
    edge: Edge, ingate_key: str, translators: Translators, status: int
) -> None:
    client = translating(edge, ingate_key, "anthropic", {"X-Mock-Status": str(status)})
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model=CLAUDE, messages=[{"role": "user", "content": "x"}], stream=False)
    assert caught.value.status_code == status
    assert caught.value.error
