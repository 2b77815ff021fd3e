"""Every caller dialect against every provider format, through the official SDKs.

Each cell sends a plain request, a stream and a tool call with the dialect's own SDK to the
built-in provider of one format (all of them the mock provider, each on its own API), with
`X-Ingate-Translate: true` so that cells whose formats differ go through the translator.
The SDK must get its own format back; the mock's reply names the model that answered, so
a cell proves which provider served it.
"""

import json
from typing import Any, Protocol

import anthropic
import ollama
import openai
import pytest
from google import genai
from google.genai import types as gtypes

from tests.conftest import Edge, Translators

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-20250514",
    "ollama": "llama3.2",
    "gemini": "gemini-2.5-flash",
}
PROVIDERS = tuple(MODELS)
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
PROMPT = "What is the weather in Paris?"


class Caller(Protocol):
    def __init__(self, edge: Edge, key: str, provider: str) -> None: ...

    def text(self, model: str) -> str: ...

    def stream(self, model: str) -> str: ...

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]: ...


def _headers(provider: str) -> dict[str, str]:
    return {"X-Ingate-Provider": provider, "X-Ingate-Translate": "true"}


class OpenAIChat:
    def __init__(self, edge: Edge, key: str, provider: str) -> None:
        self.client = openai.OpenAI(
            base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
        )

    def text(self, model: str) -> str:
        answer = self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )
        return answer.choices[0].message.content or ""

    def stream(self, model: str) -> str:
        chunks = self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]:
        answer = self.client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": PROMPT}],
            tools=[{"type": "function", "function": WEATHER}],  # type: ignore[typeddict-item]
        )
        call: Any = (answer.choices[0].message.tool_calls or [])[0]
        return call.function.name, json.loads(call.function.arguments)


class OpenAIResponses:
    def __init__(self, edge: Edge, key: str, provider: str) -> None:
        self.client = openai.OpenAI(
            base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
        )

    def text(self, model: str) -> str:
        return self.client.responses.create(model=model, input="hi").output_text

    def stream(self, model: str) -> str:
        with self.client.responses.stream(model=model, input="hi") as events:
            deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
            final = events.get_final_response()
        assert "".join(deltas) == final.output_text
        return final.output_text

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]:
        answer = self.client.responses.create(
            model=model,
            input=PROMPT,
            tools=[{"type": "function", "strict": False, **WEATHER}],  # type: ignore[list-item]
        )
        call: Any = next(item for item in answer.output if item.type == "function_call")
        return call.name, json.loads(call.arguments)


class AnthropicMessages:
    def __init__(self, edge: Edge, key: str, provider: str) -> None:
        self.client = anthropic.Anthropic(
            base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
        )

    def text(self, model: str) -> str:
        answer = self.client.messages.create(
            model=model, max_tokens=256, messages=[{"role": "user", "content": "hi"}]
        )
        return "".join(block.text for block in answer.content if block.type == "text")

    def stream(self, model: str) -> str:
        with self.client.messages.stream(
            model=model, max_tokens=256, messages=[{"role": "user", "content": "hi"}]
        ) as events:
            text = "".join(events.text_stream)
            final = events.get_final_message()
        assert final.stop_reason == "end_turn"
        return text

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]:
        tool: Any = {
            "name": WEATHER["name"],
            "description": WEATHER["description"],
            "input_schema": WEATHER["parameters"],
        }
        answer = self.client.messages.create(
            model=model, max_tokens=256, messages=[{"role": "user", "content": PROMPT}], tools=[tool]
        )
        call: Any = next(block for block in answer.content if block.type == "tool_use")
        assert answer.stop_reason == "tool_use"
        return call.name, dict(call.input)


class OllamaChat:
    def __init__(self, edge: Edge, key: str, provider: str) -> None:
        headers = {"Authorization": f"Bearer {key}", **_headers(provider)}
        self.client = ollama.Client(host=edge.url, headers=headers, timeout=30)

    def text(self, model: str) -> str:
        answer = self.client.chat(model=model, messages=[{"role": "user", "content": "hi"}], stream=False)
        assert answer.done
        return answer.message.content or ""

    def stream(self, model: str) -> str:
        parts = list(self.client.chat(model=model, messages=[{"role": "user", "content": "hi"}], stream=True))
        assert parts[-1].done
        return "".join(part.message.content or "" for part in parts)

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]:
        answer = self.client.chat(
            model=model,
            messages=[{"role": "user", "content": PROMPT}],
            tools=[{"type": "function", "function": WEATHER}],
            stream=False,
        )
        call = (answer.message.tool_calls or [])[0]
        return call.function.name, dict(call.function.arguments)


class GeminiGenerate:
    def __init__(self, edge: Edge, key: str, provider: str) -> None:
        options = gtypes.HttpOptions(base_url=edge.url, headers=_headers(provider), timeout=30_000)
        self.client = genai.Client(api_key=key, http_options=options)

    def text(self, model: str) -> str:
        return self.client.models.generate_content(model=model, contents="hi").text or ""

    def stream(self, model: str) -> str:
        chunks = list(self.client.models.generate_content_stream(model=model, contents="hi"))
        assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == gtypes.FinishReason.STOP
        return "".join(chunk.text or "" for chunk in chunks)

    def tool_call(self, model: str) -> tuple[str, dict[str, Any]]:
        config = gtypes.GenerateContentConfig(
            tools=[gtypes.Tool(function_declarations=[gtypes.FunctionDeclaration(**WEATHER)])],
            automatic_function_calling=gtypes.AutomaticFunctionCallingConfig(disable=True),
        )
        answer = self.client.models.generate_content(model=model, contents=PROMPT, config=config)
        call = (answer.function_calls or [])[0]
        return call.name or "", dict(call.args or {})


CALLERS: dict[str, type[Caller]] = {
    "openai-chat": OpenAIChat,
    "openai-responses": OpenAIResponses,
    "anthropic": AnthropicMessages,
    "ollama": OllamaChat,
    "gemini": GeminiGenerate,
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("dialect_name", list(CALLERS))
def test_text_stream_and_tools(
    keyed_ollama_edge: Edge, ingate_key: str, translators: Translators, dialect_name: str, provider: str
) -> None:
    caller = CALLERS[dialect_name](keyed_ollama_edge, ingate_key, provider)
    model = MODELS[provider]
    assert caller.text(model).startswith(f"Mock reply from {model}")
    assert caller.stream(model).startswith(f"Mock reply from {model}")
    name, arguments = caller.tool_call(model)
    assert name == "get_weather" and isinstance(arguments.get("city"), str)
