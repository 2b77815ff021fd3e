"""Anthropic extended thinking through the official ``anthropic`` SDK: the mock shows signed
thinking and refuses a conversation whose thinking came back altered or lost, as Claude does."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, MessageParam

from ingate_mock.anthropic_thinking import MAGIC_REDACTION
from ingate_mock.signatures import valid

MODEL = "claude-sonnet-4-20250514"
THINKING: Any = {"type": "enabled", "budget_tokens": 2048}
WEATHER_TOOL: Any = {
    "name": "get_weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
REDACT_ALSO = {"X-Mock-Redacted-Thinking": "also"}
REDACT_ONLY = {"X-Mock-Redacted-Thinking": "only"}


def ask(
    client: anthropic.Anthropic, messages: list[MessageParam], extra_headers: dict[str, str] | None = None
) -> Message:
    """One turn with thinking on and the weather tool offered."""
    return client.messages.create(
        model=MODEL,
        max_tokens=4096,
        thinking=THINKING,
        tools=[WEATHER_TOOL],
        messages=messages,
        extra_headers=extra_headers,
    )


def tool_result(message: Message, content: str) -> MessageParam:
    """The user turn answering ``message``'s tool use."""
    ids = [b.id for b in message.content if b.type == "tool_use"]
    assert ids, message.content
    return {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": i, "content": content} for i in ids],
    }


def refusal(caught: pytest.ExceptionInfo[anthropic.BadRequestError]) -> str:
    """The message of a 400 in Anthropic's error shape (with its request id)."""
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert str(body["request_id"]).startswith("req_")
    return str(body["error"]["message"])


def test_thinking_opens_the_answer(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=[{"role": "user", "content": "hi there"}]
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert thinking.type == "thinking"
    assert thinking.thinking == "The user wrote: hi there I will answer directly."
    assert valid(thinking.thinking, thinking.signature)
    # 12 words of answer and 9 of thinking, billed together as output
    assert message.usage.output_tokens == 21


def test_thinking_streamed(anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=[{"role": "user", "content": "hi there"}]
    ) as stream:
        events = list(stream)
        final = stream.get_final_message()
    kinds = [e.type for e in events if e.type != "content_block_delta"]  # the SDK's own events stay
    assert kinds[:3] == ["message_start", "content_block_start", "thinking"]
    # the signature arrives last, then the thinking block closes before the text block opens
    assert kinds[kinds.index("signature") :][:3] == ["signature", "content_block_stop", "content_block_start"]
    thoughts = [e.thinking for e in events if e.type == "thinking"]
    assert len(thoughts) == 9
    signatures = [e.signature for e in events if e.type == "signature"]
    assert len(signatures) == 1
    starts = [e.content_block.type for e in events if e.type == "content_block_start"]
    assert starts == ["thinking", "text"]
    assert [b.type for b in final.content] == ["thinking", "text"]
    thinking = final.content[0]
    assert thinking.type == "thinking"
    assert thinking.thinking == "The user wrote: hi there I will answer directly."
    assert thinking.signature == signatures[0]
    assert valid(thinking.thinking, thinking.signature)
    assert final.usage.output_tokens == 21


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_three_turn_tool_loop_with_thinking_sent_back_unchanged(
    anthropic_client: anthropic.Anthropic, streamed: bool
) -> None:
    def turn(messages: list[MessageParam]) -> Message:
        if not streamed:
            return ask(anthropic_client, messages)
        with anthropic_client.messages.stream(
            model=MODEL, max_tokens=4096, thinking=THINKING, tools=[WEATHER_TOOL], messages=messages
        ) as stream:
            return stream.get_final_message()

    messages: list[MessageParam] = [{"role": "user", "content": "weather in Paris?"}]
    first = turn(messages)
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    assert first.content[0].type == "thinking"
    assert first.content[0].thinking == "The user wrote: weather in Paris? I should call get_weather first."
    messages += [{"role": "assistant", "content": first.content}, tool_result(first, "sunny")]
    second = turn(messages)  # the turn goes on: Claude does not think again after a tool result
    assert [b.type for b in second.content] == ["text"]
    messages += [
        {"role": "assistant", "content": second.content},
        {"role": "user", "content": "and in Rome?"},
    ]
    third = turn(messages)
    assert [b.type for b in third.content] == ["thinking", "tool_use"]
    messages += [{"role": "assistant", "content": third.content}, tool_result(third, "rain")]
    last = turn(messages)
    assert last.content[0].type == "text"
    assert last.content[0].text == "Tool result received: rain"


def test_tampered_signature_refused(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}])
    thinking = first.content[0]
    assert thinking.type == "thinking"
    forged = thinking.signature[:-4] + ("AAAA" if not thinking.signature.endswith("AAAA") else "BBBB")
    altered: Any = [
        {"type": "thinking", "thinking": thinking.thinking, "signature": forged},
        first.content[1],
    ]
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(
            anthropic_client,
            [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": altered},
                tool_result(first, "sunny"),
            ],
        )
    assert refusal(caught) == "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_rewritten_thinking_text_refused(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}])
    thinking = first.content[0]
    assert thinking.type == "thinking"
    altered: Any = [
        {"type": "thinking", "thinking": thinking.thinking + " ", "signature": thinking.signature},
        first.content[1],
    ]
    history: list[MessageParam] = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": altered},
        tool_result(first, "sunny"),
    ]
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(anthropic_client, history)
    assert refusal(caught) == "messages.1.content.0: Invalid `signature` in `thinking` block"
    # checked in any earlier turn, and with thinking off too
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            model=MODEL, max_tokens=100, messages=[*history, {"role": "assistant", "content": "ok"}]
        )
    assert refusal(caught) == "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_missing_signature_refused(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}])
    thinking = first.content[0]
    assert thinking.type == "thinking"
    unsigned: Any = [{"type": "thinking", "thinking": thinking.thinking}, first.content[1]]
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(
            anthropic_client,
            [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": unsigned},
                tool_result(first, "sunny"),
            ],
        )
    assert refusal(caught) == "messages.1.content.0.thinking.signature: Field required"


def test_tool_loop_without_its_thinking_refused(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}])
    dropped = [b for b in first.content if b.type != "thinking"]
    history: list[MessageParam] = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": dropped},
        tool_result(first, "sunny"),
    ]
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(anthropic_client, history)
    message = refusal(caught)
    assert message.startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )
    # without thinking the same conversation is fine
    plain = anthropic_client.messages.create(
        model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], messages=history
    )
    assert plain.content[0].type == "text"


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_redacted_thinking_round_trip(anthropic_client: anthropic.Anthropic, streamed: bool) -> None:
    messages: list[MessageParam] = [{"role": "user", "content": "weather?"}]
    first: Message
    if streamed:
        with anthropic_client.messages.stream(
            model=MODEL,
            max_tokens=4096,
            thinking=THINKING,
            tools=[WEATHER_TOOL],
            messages=messages,
            extra_headers=REDACT_ALSO,
        ) as stream:
            first = stream.get_final_message()
    else:
        first = ask(anthropic_client, messages, extra_headers=REDACT_ALSO)
    assert [b.type for b in first.content] == ["thinking", "redacted_thinking", "tool_use"]
    redacted = first.content[1]
    assert redacted.type == "redacted_thinking"
    assert redacted.data
    messages += [{"role": "assistant", "content": first.content}, tool_result(first, "sunny")]
    answer = ask(anthropic_client, messages)
    assert answer.content[0].type == "text"
    assert answer.content[0].text == "Tool result received: sunny"


def test_redacted_thinking_only(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}], extra_headers=REDACT_ONLY)
    assert [b.type for b in first.content] == ["redacted_thinking", "tool_use"]
    magic = ask(anthropic_client, [{"role": "user", "content": MAGIC_REDACTION}])
    assert [b.type for b in magic.content] == ["redacted_thinking", "tool_use"]
    messages: list[MessageParam] = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": first.content},
        tool_result(first, "sunny"),
    ]
    assert ask(anthropic_client, messages).content[0].type == "text"


def test_tampered_redacted_thinking_refused(anthropic_client: anthropic.Anthropic) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}], extra_headers=REDACT_ONLY)
    redacted = first.content[0]
    assert redacted.type == "redacted_thinking"
    # one character changed in the middle still decodes as base64; the data's MAC fails
    middle = len(redacted.data) // 2
    swapped = "A" if redacted.data[middle] != "A" else "B"
    data = redacted.data[:middle] + swapped + redacted.data[middle + 1 :]
    altered: Any = [{"type": "redacted_thinking", "data": data}, first.content[1]]
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(
            anthropic_client,
            [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": altered},
                tool_result(first, "sunny"),
            ],
        )
    assert refusal(caught) == "messages.1.content.0: Invalid `data` in `redacted_thinking` block"


def test_interleaved_thinking_thinks_after_tool_results(anthropic_client: anthropic.Anthropic) -> None:
    adaptive: Any = {"type": "adaptive"}
    messages: list[MessageParam] = [{"role": "user", "content": "weather?"}]
    first = anthropic_client.messages.create(
        model=MODEL, max_tokens=4096, thinking=adaptive, tools=[WEATHER_TOOL], messages=messages
    )
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    messages += [{"role": "assistant", "content": first.content}, tool_result(first, "sunny")]
    second = anthropic_client.messages.create(
        model=MODEL, max_tokens=4096, thinking=adaptive, tools=[WEATHER_TOOL], messages=messages
    )
    assert [b.type for b in second.content] == ["thinking", "text"]
    assert second.content[0].type == "thinking"
    assert second.content[0].thinking == "The tool returned: sunny so I can answer now."
    beta = ask(
        anthropic_client, messages, extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"}
    )
    assert [b.type for b in beta.content] == ["thinking", "text"]


@pytest.mark.parametrize(
    ("thinking", "max_tokens", "tool_choice", "expected"),
    [
        (
            {"type": "enabled", "budget_tokens": 512},
            4096,
            None,
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            {"type": "enabled", "budget_tokens": 2048},
            2048,
            None,
            "`max_tokens` must be greater than `thinking.budget_tokens`.",
        ),
        (
            {"type": "enabled", "budget_tokens": 2048},
            4096,
            {"type": "any"},
            "Thinking may not be enabled when `tool_choice` forces tool use.",
        ),
        ({"type": "enabled"}, 4096, None, "thinking.enabled.budget_tokens: Field required"),
    ],
    ids=["small-budget", "budget-not-below-max", "forced-tool", "no-budget"],
)
def test_thinking_settings_refused(
    anthropic_client: anthropic.Anthropic,
    thinking: Any,
    max_tokens: int,
    tool_choice: Any,
    expected: str,
) -> None:
    extra: dict[str, Any] = {} if tool_choice is None else {"tool_choice": tool_choice}
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            model=MODEL,
            max_tokens=max_tokens,
            thinking=thinking,
            tools=[WEATHER_TOOL],
            messages=[{"role": "user", "content": "hi"}],
            **extra,
        )
    assert refusal(caught) == expected


def test_bad_redaction_control(anthropic_client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(
            anthropic_client,
            [{"role": "user", "content": "hi"}],
            extra_headers={"X-Mock-Redacted-Thinking": "x"},
        )
    assert "X-Mock-Redacted-Thinking must be one of none, only, also" in refusal(caught)


def test_received_shows_the_thinking_sent_back(
    anthropic_client: anthropic.Anthropic, mock_provider_url: str
) -> None:
    first = ask(anthropic_client, [{"role": "user", "content": "weather?"}])
    thinking = first.content[0]
    assert thinking.type == "thinking"
    ask(
        anthropic_client,
        [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": first.content},
            tool_result(first, "sunny"),
        ],
    )
    answer = httpx.get(f"{mock_provider_url}/_mock/received", timeout=10)
    answer.raise_for_status()
    sent = answer.json()["received"]["/v1/messages"]
    assert sent["thinking"] == THINKING
    assert sent["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": thinking.thinking,
        "signature": thinking.signature,
    }
