"""OpenAI reasoning through the official ``openai`` SDK: Responses reasoning items (summary and
encrypted content, refused when altered) and chat ``reasoning_content`` as OpenAI-compatible
reasoning servers send it."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.responses import Response

from ingate_mock.signatures import opened

MODEL = "o4-mini"
REASONING: Any = {"effort": "low", "summary": "auto"}
ENCRYPTED: Any = ["reasoning.encrypted_content"]
WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CHAT_WEATHER_TOOL: Any = {
    "type": "function",
    "function": {"name": WEATHER_TOOL["name"], "parameters": WEATHER_TOOL["parameters"]},
}
PARIS_THOUGHT = "The user wrote: weather in Paris? I should call get_weather first."


def ask(client: openai.OpenAI, items: list[Any], *, store: bool = True) -> Response:
    """One Responses turn that reasons (summary and encrypted content) with the weather tool."""
    return client.responses.create(
        model=MODEL, input=items, reasoning=REASONING, include=ENCRYPTED, tools=[WEATHER_TOOL], store=store
    )


def outputs_for_calls(response: Response, output: str) -> list[Any]:
    """A function_call_output answering each of ``response``'s calls."""
    calls = [item.call_id for item in response.output if item.type == "function_call"]
    assert calls, response.output
    return [{"type": "function_call_output", "call_id": c, "output": output} for c in calls]


def error_message(error: openai.APIStatusError) -> str:
    """The message of an error in OpenAI's shape."""
    body = error.body
    assert isinstance(body, dict)
    return str(body["message"])


def test_reasoning_item_opens_the_output(openai_client: openai.OpenAI) -> None:
    response = ask(openai_client, [{"role": "user", "content": "weather in Paris?"}])
    assert [item.type for item in response.output] == ["reasoning", "function_call"]
    reasoning = response.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.id.startswith("rs_")
    assert [(s.type, s.text) for s in reasoning.summary] == [("summary_text", PARIS_THOUGHT)]
    assert reasoning.encrypted_content is not None
    assert opened(reasoning.encrypted_content) == PARIS_THOUGHT
    assert response.reasoning is not None
    assert (response.reasoning.effort, response.reasoning.summary) == ("low", "auto")
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens == 11
    # the call costs 4 (its name, and {"city":"sample"} in three 8-character fragments)
    assert response.usage.output_tokens == 11 + 4


def test_reasoning_shown_only_as_asked(openai_client: openai.OpenAI) -> None:
    bare = openai_client.responses.create(model=MODEL, input="hi", reasoning={"effort": "low"})
    reasoning = bare.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary == []
    assert reasoning.encrypted_content is None
    assert bare.output_text.startswith("Mock reply from")
    plain = openai_client.responses.create(model="gpt-4.1", input="hi")
    assert [item.type for item in plain.output] == ["message"]
    off = openai_client.responses.create(model=MODEL, input="hi", reasoning={"effort": "none"})
    assert [item.type for item in off.output] == ["message"]


def test_reasoning_streamed(openai_client: openai.OpenAI) -> None:
    items: Any = [{"role": "user", "content": "weather in Paris?"}]
    with openai_client.responses.stream(
        model=MODEL, input=items, reasoning=REASONING, include=ENCRYPTED, tools=[WEATHER_TOOL]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    reasoning_kinds = kinds[2 : kinds.index("response.output_item.done") + 1]
    words = len(PARIS_THOUGHT.split())
    assert reasoning_kinds == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * words,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    deltas = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert "".join(deltas) == PARIS_THOUGHT
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    reasoning = final.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content is not None
    assert opened(reasoning.encrypted_content) == PARIS_THOUGHT


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_three_turn_function_loop_with_reasoning_sent_back_unchanged(
    openai_client: openai.OpenAI, streamed: bool
) -> None:
    def turn(items: list[Any]) -> Response:
        if not streamed:
            return ask(openai_client, items, store=False)
        with openai_client.responses.stream(
            model=MODEL,
            input=items,
            reasoning=REASONING,
            include=ENCRYPTED,
            tools=[WEATHER_TOOL],
            store=False,
        ) as stream:
            return stream.get_final_response()

    items: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = turn(items)
    assert [item.type for item in first.output] == ["reasoning", "function_call"]
    items += [*first.output, *outputs_for_calls(first, "sunny")]
    second = turn(items)  # a reasoning model reasons again over the result
    assert [item.type for item in second.output] == ["reasoning", "message"]
    assert second.output_text == "Tool result received: sunny"
    items += [*second.output, {"role": "user", "content": "and in Rome?"}]
    third = turn(items)
    assert [item.type for item in third.output] == ["reasoning", "function_call"]
    items += [*third.output, *outputs_for_calls(third, "rain")]
    assert turn(items).output_text == "Tool result received: rain"


def test_tampered_encrypted_content_refused(openai_client: openai.OpenAI) -> None:
    first = ask(openai_client, [{"role": "user", "content": "weather?"}])
    reasoning = first.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content is not None
    sealed = reasoning.encrypted_content
    middle = len(sealed) // 2
    forged = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    altered = reasoning.model_copy(update={"encrypted_content": forged})
    items: list[Any] = [
        {"role": "user", "content": "weather?"},
        altered,
        first.output[1],
        *outputs_for_calls(first, "sunny"),
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        ask(openai_client, items)
    assert caught.value.code == "invalid_encrypted_content"
    assert caught.value.param is None
    assert (
        error_message(caught.value)
        == f"The encrypted content {forged[:4]}...{forged[-4:]} could not be verified."
    )
    assert caught.value.request_id is not None


def test_lost_encrypted_content_without_store_refused(openai_client: openai.OpenAI) -> None:
    first = ask(openai_client, [{"role": "user", "content": "weather?"}], store=False)
    reasoning = first.output[0]
    assert reasoning.type == "reasoning"
    stripped = reasoning.model_copy(update={"encrypted_content": None})
    items: list[Any] = [
        {"role": "user", "content": "weather?"},
        stripped.model_dump(exclude_none=True),
        first.output[1],
        *outputs_for_calls(first, "sunny"),
    ]
    with pytest.raises(openai.NotFoundError) as caught:
        ask(openai_client, items, store=False)
    assert error_message(caught.value).startswith(f"Item with id '{reasoning.id}' not found.")
    # with the store on, OpenAI looks the item up by id (the mock takes it on trust)
    assert ask(openai_client, items).output_text == "Tool result received: sunny"


def test_chat_reasoning_content(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="deepseek-reasoner", reasoning_effort="low", messages=[{"role": "user", "content": "hi there"}]
    )
    message = completion.choices[0].message
    assert getattr(message, "reasoning_content", None) == "The user wrote: hi there I will answer directly."
    assert message.content is not None
    assert message.content.startswith("Mock reply from deepseek-reasoner:")
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 9
    assert completion.usage.completion_tokens == 12 + 9
    plain = openai_client.chat.completions.create(
        model="deepseek-reasoner", messages=[{"role": "user", "content": "hi there"}]
    )
    assert getattr(plain.choices[0].message, "reasoning_content", None) is None


def test_chat_reasoning_content_streamed_before_the_content(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="deepseek-reasoner",
        reasoning_effort="high",
        tools=[CHAT_WEATHER_TOOL],
        messages=[{"role": "user", "content": "weather in Paris?"}],
        stream=True,
    )
    order: list[str] = []
    thought: list[str] = []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        piece = getattr(delta, "reasoning_content", None)
        if piece is not None:
            thought.append(piece)
            order.append("reasoning")
        if delta.tool_calls:
            order.append("tool_call")
    assert "".join(thought) == PARIS_THOUGHT
    assert order[: len(thought)] == ["reasoning"] * len(thought)
    assert set(order[len(thought) :]) == {"tool_call"}
