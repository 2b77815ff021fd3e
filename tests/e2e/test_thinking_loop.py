"""A three-turn tool loop with thinking, through each translation whose provider signs its thinking.

Turn one asks with tools and thinking on: the provider (the mock, signing as the real
ones do) thinks, signs and calls the tool. Turn two sends the SDK's own assistant message
back unchanged with the tool's result; turn three asks again. The provider refuses a turn
whose signature was lost or altered, so three answers prove the signatures survived, and
what the provider last received shows the first turn's signature arrived byte for byte.
"""

from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as gtypes

from tests.conftest import Edge, Translators

PROMPT = "What is the weather in Paris?"
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CLAUDE = "claude-sonnet-4-20250514"
GEMINI = "gemini-2.5-flash"


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
    extra = first.model_extra or {}
    # Gemini signs the call that follows its thought summary: that is a block of its own.
    signature: str = next(block["signature"] for block in extra["thinking_blocks"] if block["signature"])
    assert extra["reasoning_content"]
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
    assert turn().content
    messages.append({"role": "user", "content": "And in Rome?"})
    assert turn().tool_calls
    return signature


def openai_responses_loop(edge: Edge, key: str, provider: str, model: str) -> str:
    client = openai.OpenAI(
        base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
    )
    tools: Any = [{"type": "function", "strict": False, **WEATHER}]
    items: list[Any] = [{"role": "user", "content": PROMPT}]

    def turn() -> Any:
        answer = client.responses.create(
            model=model,
            input=items,
            tools=tools,
            reasoning={"effort": "low"},
            include=["reasoning.encrypted_content"],
            store=False,
        )
        items.extend(item.model_dump(exclude_none=True) for item in answer.output)
        return answer

    first = turn()
    call = next(item for item in first.output if item.type == "function_call")
    signed = [
        item.encrypted_content for item in first.output if item.type == "reasoning" and item.encrypted_content
    ]
    items.append({"type": "function_call_output", "call_id": call.call_id, "output": "sunny"})
    assert turn().output_text
    items.append({"role": "user", "content": "And in Rome?"})
    assert any(item.type == "function_call" for item in turn().output)
    signature: str = signed[0]
    return signature


def anthropic_loop(edge: Edge, key: str, provider: str, model: str) -> str:
    client = anthropic.Anthropic(
        base_url=edge.url, api_key=key, default_headers=_headers(provider), max_retries=0, timeout=30
    )
    tool: Any = {"name": WEATHER["name"], "description": WEATHER["description"]}
    tool["input_schema"] = WEATHER["parameters"]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]

    def turn() -> Any:
        answer = client.messages.create(
            model=model,
            max_tokens=4096,
            messages=messages,
            tools=[tool],
            thinking={"type": "enabled", "budget_tokens": 2048},
        )
        messages.append({"role": "assistant", "content": answer.content})
        return answer

    first = turn()
    thinking = next(block for block in first.content if block.type == "thinking" and block.signature)
    call = next(block for block in first.content if block.type == "tool_use")
    messages.append(
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]}
    )
    assert turn().stop_reason == "end_turn"
    messages.append({"role": "user", "content": "And in Rome?"})
    assert turn().stop_reason == "tool_use"
    signature: str = thinking.signature
    return signature


def gemini_loop(edge: Edge, key: str, provider: str, model: str) -> str:
    options = gtypes.HttpOptions(base_url=edge.url, headers=_headers(provider), timeout=30_000)
    client = genai.Client(api_key=key, http_options=options)
    config = gtypes.GenerateContentConfig(
        tools=[gtypes.Tool(function_declarations=[gtypes.FunctionDeclaration(**WEATHER)])],
        automatic_function_calling=gtypes.AutomaticFunctionCallingConfig(disable=True),
        thinking_config=gtypes.ThinkingConfig(include_thoughts=True, thinking_budget=2048),
    )
    contents: list[Any] = [gtypes.Content(role="user", parts=[gtypes.Part(text=PROMPT)])]

    def turn() -> Any:
        answer = client.models.generate_content(model=model, contents=contents, config=config)
        content = (answer.candidates or [])[0].content
        contents.append(content)
        return content

    first = turn()
    signed = [part for part in first.parts if part.thought_signature]
    call = next(part.function_call for part in first.parts if part.function_call)
    reply = gtypes.Part.from_function_response(name=call.name or "", response={"output": "sunny"})
    contents.append(gtypes.Content(role="user", parts=[reply]))
    assert any(part.text for part in turn().parts)
    contents.append(gtypes.Content(role="user", parts=[gtypes.Part(text="And in Rome?")]))
    assert any(part.function_call for part in turn().parts)
    # Another provider's signature reaches a Gemini caller sealed (its SDK holds signatures as
    # bytes and re-encodes them): the provider's own is inside, byte for byte.
    signature: bytes = signed[0].thought_signature
    return signature.decode("latin-1")


# -- what the provider received --------------------------------------------------------------


def anthropic_signature(mock_url: str, model: str) -> str:
    del model
    sent = _received(mock_url, "/v1/messages")
    first_answer = sent["messages"][1]["content"]
    assert first_answer[0]["type"] == "thinking"
    signature: str = first_answer[0]["signature"]
    return signature


def gemini_signature(mock_url: str, model: str) -> str:
    sent = _received(mock_url, f"/v1beta/models/{model}:generateContent")
    first_answer = sent["contents"][1]["parts"]
    signature: str = next(part["thoughtSignature"] for part in first_answer if "functionCall" in part)
    return signature


# Each loop returns the first turn's signature as the caller holds it.
Loop = Callable[[Edge, str, str, str], str]
Received = Callable[[str, str], str]
CASES: dict[str, tuple[Loop, str, str, Received]] = {
    "openai-chat→anthropic": (openai_chat_loop, "anthropic", CLAUDE, anthropic_signature),
    "openai-chat→gemini": (openai_chat_loop, "gemini", GEMINI, gemini_signature),
    "anthropic→gemini": (anthropic_loop, "gemini", GEMINI, gemini_signature),
    "gemini→anthropic": (gemini_loop, "anthropic", CLAUDE, anthropic_signature),
    "openai-responses→anthropic": (openai_responses_loop, "anthropic", CLAUDE, anthropic_signature),
    "openai-responses→gemini": (openai_responses_loop, "gemini", GEMINI, gemini_signature),
}


@pytest.mark.parametrize("case", list(CASES))
def test_signatures_survive_a_tool_loop(
    edge: Edge, ingate_key: str, translators: Translators, mock_url: str, case: str
) -> None:
    loop, provider, model, received = CASES[case]
    held = loop(edge, ingate_key, provider, model)
    sent_back = received(mock_url, model)
    assert sent_back and sent_back in held
