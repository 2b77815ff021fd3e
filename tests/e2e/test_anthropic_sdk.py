"""The official anthropic client against the edge: create, stream, tools."""

import anthropic
import httpx
import pytest

from tests.conftest import Edge

MODEL = "claude-sonnet-4-20250514"


@pytest.fixture
def client(edge: Edge, ingate_key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=edge.url, api_key=ingate_key, max_retries=0, timeout=20)


def test_messages_create(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "hello there"}]
    )
    assert message.type == "message"
    assert message.id.startswith("msg_")
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith(f"Mock reply from {MODEL}:")
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_messages_stream_text_and_final_message(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "tell me a story"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 3
    assert "".join(pieces) == final.content[0].text  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len(pieces)


def test_tool_use_streamed(client: anthropic.Anthropic) -> None:
    tools: list[anthropic.types.ToolParam] = [
        {
            "name": "get_weather",
            "description": "weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    with client.messages.stream(
        model=MODEL, max_tokens=100, tools=tools, messages=[{"role": "user", "content": "weather?"}]
    ) as stream:
        final = stream.get_final_message()
    block = final.content[0]
    assert final.stop_reason == "tool_use"
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"city": "sample"}


def test_count_tokens(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "a b c"}])
    assert counted.input_tokens > 0


def test_legacy_x_api_key_header(edge: Edge, ingate_key: str) -> None:
    # Older Anthropic SDKs and curl users send the key as x-api-key.
    response = httpx.post(
        f"{edge.url}/v1/messages",
        headers={"x-api-key": ingate_key, "anthropic-version": "2023-06-01"},
        json={"model": MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]},
        timeout=20,
    )
    assert response.status_code == 200
    assert response.json()["content"][0]["text"].startswith("Mock reply")


def test_bad_key_raises_authentication_error(edge: Edge) -> None:
    client = anthropic.Anthropic(base_url=edge.url, api_key="sk-ingate-wrongwrongwrongwrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["x-ingate-request-id"].startswith("req_")
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]


def test_upstream_overload_passes_through(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Mock-Status": "529"},
        )
    assert caught.value.status_code == 529
    assert caught.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


def test_models_list_reaches_anthropic(client: anthropic.Anthropic) -> None:
    # /v1/models is OpenAI's path too; the SDK's anthropic-version header says which is meant.
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert ids
    assert all(m.id.startswith("claude") for m in models.data)
