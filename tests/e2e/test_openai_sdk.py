"""The official openai client, pointed at the edge with nothing changed but base_url."""

import asyncio
import json

import openai
import pytest

from tests.conftest import Edge


@pytest.fixture
def client(edge: Edge, ingate_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0, timeout=20)


@pytest.fixture
def async_client(edge: Edge, ingate_key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0, timeout=20)


def test_chat_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "count to three"}], max_tokens=50
    )
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model.startswith("gpt-4o")
    assert completion.choices[0].message.content.startswith("Mock reply from gpt-4o:")  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_with_raw_response_exposes_the_request_id_header(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    request_id = raw.headers.get("x-ingate-request-id")
    assert request_id is not None and request_id.startswith("req_")
    completion = raw.parse()
    # The same id is readable from the parsed completion, as the user guide shows.
    assert completion.headers.get("X-Ingate-Request-Id") == request_id  # type: ignore[attr-defined]


def test_streaming_yields_chunks_in_order(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "one two three four"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    usage = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    text = "".join(pieces)
    assert text.startswith("Mock reply from gpt-4o:")
    assert len(pieces) > 3, "the stream arrived in one piece; passthrough must be chunk by chunk"
    assert usage is not None and usage.completion_tokens == len(pieces)


def test_stream_request_id_header(client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    ) as response:
        assert response.headers["x-ingate-request-id"].startswith("req_")
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = list(response.parse())
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_tool_calls_pass_through(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
    )
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "sample"}  # type: ignore[union-attr]


def test_embeddings_default_base64_encoding(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) > 0 and isinstance(d.embedding[0], float) for d in result.data)


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o" in ids
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"


def test_explicit_custom_alias(edge: Edge, ingate_key: str) -> None:
    aliased = openai.OpenAI(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "custom-llm"},
        max_retries=0,
    )
    completion = aliased.chat.completions.create(model="llama-3", messages=[{"role": "user", "content": "x"}])
    assert (completion.choices[0].message.content or "").startswith("Mock reply from llama-3:")


def test_v1_base_url_works_too(edge: Edge, ingate_key: str) -> None:
    with_v1 = openai.OpenAI(base_url=f"{edge.url}/v1", api_key=ingate_key, max_retries=0)
    completion = with_v1.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content


async def test_async_client_concurrent_requests(async_client: openai.AsyncOpenAI) -> None:
    async def ask(i: int) -> str:
        completion = await async_client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"number {i}"}]
        )
        return completion.choices[0].message.content or ""

    answers = await asyncio.gather(*(ask(i) for i in range(20)))
    assert all(f"number {i}" in answer for i, answer in enumerate(answers))


async def test_async_streaming(async_client: openai.AsyncOpenAI) -> None:
    stream = await async_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "stream please"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text.startswith("Mock reply from gpt-4o:")


def test_upstream_errors_raise_the_matching_sdk_exception(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Mock-Status": "429"},
        )
    assert caught.value.response.headers["x-ingate-request-id"].startswith("req_")
