"""A three-turn tool loop with thinking, through each translation whose provider signs its thinking.

Turn one asks with tools and thinking on: the provider (the mock, signing as the real
ones do) thinks, signs and calls the tool. Turn two sends the SDK's own assistant message
back unchanged with the tool's result; turn three asks again. The provider refuses a turn
whose signature was lost or altered, so three answers prove the signatures survived, and
what the provider last received shows the first turn's signature arrived byte for byte.
"""

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import Edge, Translators

PROMPT = "What is the weather in Paris?"
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CLAUDE = "claude-sonnet-4-20250514"


def _headers(provider: str) -> dict[str, str]:
    return {"X-Ingate-Provider": provider, "X-Ingate-Translate": "true"}


def _received(mock_url: str, path: str) -> dict[str, Any]:
    answer = httpx.get(f"{mock_url}/_mock/received", timeout=10)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()["received"][path]
    return body


# -- callers: each runs the loop in its SDK and returns the first turn's signature ------------


def openai_chat_loop(edge: Edge, key: str, provider: str, model: str) -> str:
    client = openai.OpenAI(
        base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
    )
    tools: Any = [{"type": "function", "function": WEATHER}]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]

    def turn() -> Any:
        answer = client.chat.completions.create(
            model=model, messages=messages, tools=tools, reasoning_effort="low"
        )
        message = answer.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        return message

    first = turn()
    (call,) = first.tool_calls
    signature: str = (first.model_extra or {})["thinking_blocks"][0]["signature"]
    assert signature and first.model_extra["reasoning_content"]
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
    assert turn().content
    messages.append({"role": "user", "content": "And in Rome?"})
    assert turn().tool_calls
    return signature


# -- what the provider received --------------------------------------------------------------


def anthropic_signature(mock_url: str, model: str) -> str:
    del model
    sent = _received(mock_url, "/v1/messages")
    first_answer = sent["messages"][1]["content"]
    assert first_answer[0]["type"] == "thinking"
    signature: str = first_answer[0]["signature"]
    return signature


Loop = Callable[[Edge, str, str, str], str]
Received = Callable[[str, str], str]
CASES: dict[str, tuple[Loop, str, str, Received]] = {
    "openai-chat→anthropic": (openai_chat_loop, "anthropic", CLAUDE, anthropic_signature),
}


@pytest.mark.parametrize("case", list(CASES))
def test_signatures_survive_a_tool_loop(
    edge: Edge, ingate_key: str, translators: Translators, mock_url: str, case: str
) -> None:
    loop, provider, model, received = CASES[case]
    signature = loop(edge, ingate_key, provider, model)
    assert received(mock_url, model) == signature
