"""The official ``anthropic`` SDK against the mock provider."""

from __future__ import annotations

import re
from typing import Any

import anthropic
import pytest

WEATHER_TOOL: Any = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer"},
        },
        "required": ["city"],
    },
}
TIME_TOOL: Any = {
    "name": "get_time",
    "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}},
}
TOOLU_ID = re.compile(r"^toolu_[A-Za-z0-9]{24}$")


def test_messages_create(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model="claude-sonnet-4-20250514",
        max_tokens=100,
        system="be brief please",
        messages=[{"role": "user", "content": "hi there"}],
    )
    assert re.match(r"^msg_[A-Za-z0-9]{24}$", message.id)
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == "claude-sonnet-4-20250514"
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert len(message.content) == 1
    block = message.content[0]
    assert block.type == "text"
    assert block.text == "Mock reply from claude-sonnet-4-20250514: hi there hi there hi there hi there"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (5, 12)


def test_system_blocks_and_max_tokens(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model="claude",
        max_tokens=6,
        system=[{"type": "text", "text": "one two three"}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "block content"}]}],
    )
    assert message.stop_reason == "max_tokens"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Mock reply from claude: block content"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (5, 6)


def test_count_tokens(anthropic_client: anthropic.Anthropic) -> None:
    result = anthropic_client.messages.count_tokens(
        model="claude",
        system="a b",
        messages=[
            {"role": "user", "content": "c d e"},
            {"role": "assistant", "content": "f"},
            {"role": "user", "content": "g"},
        ],
    )
    assert result.input_tokens == 7


def test_stream_text(anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(
        model="claude", max_tokens=50, messages=[{"role": "user", "content": "flow"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) == 12
    assert pieces[1] == " reply"
    text = "Mock reply from claude: flow flow flow flow flow flow flow flow"
    assert "".join(pieces) == text
    assert final.content[0].type == "text"
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (1, 12)


def test_tool_use(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL, TIME_TOOL],
        messages=[{"role": "user", "content": "weather?"}],
    )
    assert message.stop_reason == "tool_use"
    assert len(message.content) == 1
    block = message.content[0]
    assert block.type == "tool_use"
    assert TOOLU_ID.match(block.id)
    assert block.name == "get_weather"
    assert block.input == {"city": "sample", "unit": "c", "days": 1}


def test_tool_use_streamed(anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL, TIME_TOOL],
        messages=[{"role": "user", "content": "in parallel: weather and time"}],
    ) as stream:
        partials = [e.partial_json for e in stream if e.type == "input_json"]
        final = stream.get_final_message()
    assert len(partials) >= 4
    assert final.stop_reason == "tool_use"
    blocks = final.content
    assert [b.type for b in blocks] == ["tool_use", "tool_use"]
    assert blocks[0].type == "tool_use"
    assert blocks[0].input == {"city": "sample", "unit": "c", "days": 1}
    assert blocks[1].type == "tool_use"
    assert (blocks[1].name, blocks[1].input) == ("get_time", {"zone": "sample"})
    assert blocks[0].id != blocks[1].id


def test_tool_choice_variants(anthropic_client: anthropic.Anthropic) -> None:
    forced = anthropic_client.messages.create(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice={"type": "tool", "name": "get_time"},
        messages=[{"role": "user", "content": "parallel"}],
    )
    assert [b.name for b in forced.content if b.type == "tool_use"] == ["get_time"]
    serial = anthropic_client.messages.create(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": "parallel"}],
    )
    assert len(serial.content) == 1
    none = anthropic_client.messages.create(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "none"},
        messages=[{"role": "user", "content": "hi"}],
    )
    assert none.stop_reason == "end_turn"
    assert none.content[0].type == "text"


def test_tool_result_turn(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model="claude",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "sunny, 21C"}],
                    }
                ],
            },
        ],
    )
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Tool result received: sunny, 21C"


def test_models_list(anthropic_client: anthropic.Anthropic) -> None:
    models = list(anthropic_client.models.list())
    assert "claude-sonnet-4-20250514" in [m.id for m in models]
    assert all(m.type == "model" for m in models)
    assert anthropic_client.models.retrieve("claude-3-5-haiku-20241022").display_name


def test_injected_errors(anthropic_client: anthropic.Anthropic) -> None:
    cases: list[tuple[int, type[anthropic.APIStatusError], str]] = [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ]
    for status, error_class, error_type in cases:
        with pytest.raises(error_class) as caught:
            anthropic_client.messages.create(
                model="claude",
                max_tokens=10,
                messages=[{"role": "user", "content": "x"}],
                extra_headers={"X-Mock-Status": str(status)},
            )
        assert caught.value.status_code == status
        body = caught.value.body
        assert isinstance(body, dict)
        assert body["type"] == "error"
        assert body["error"]["type"] == error_type
        assert caught.value.request_id is not None
        assert caught.value.request_id.startswith("req_")
        assert body["request_id"] == caught.value.request_id


def test_wrong_key(mock_provider_url: str) -> None:
    client = anthropic.Anthropic(base_url=mock_provider_url, api_key="sk-nope", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model="claude", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
