"""OpenAI SDK ⇄ Anthropic provider and Anthropic SDK ⇄ OpenAI provider, through the translator.

Each SDK must see only its own format: plain answers, streams, tools (single,
parallel, streamed arguments), images, errors — and a translator outage is a
503 in the caller's dialect that heals when a translator comes back.
"""

import asyncio
import base64
import json
import time
from typing import Any

import anthropic
import httpx
import msgspec
import openai
import pytest

from ingate_nats import connect
from tests.conftest import Edge, Translators

CLAUDE = "claude-sonnet-4-20250514"
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
TIME_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}}},
    },
}
PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


@pytest.fixture
def to_claude(edge: Edge, ingate_key: str, translators: Translators) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"},
        max_retries=0,
        timeout=20,
    )


@pytest.fixture
def to_gpt(edge: Edge, ingate_key: str, translators: Translators) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "openai", "X-Ingate-Translate": "true"},
        max_retries=0,
        timeout=20,
    )


def test_openai_sdk_gets_a_claude_answer_in_openai_format(to_claude: openai.OpenAI) -> None:
    raw = to_claude.chat.completions.with_raw_response.create(
        model=CLAUDE,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello, Claude!"},
        ],
    )
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert (completion.choices[0].message.content or "").startswith(
        f"Mock reply from {CLAUDE}: Hello, Claude!"
    )
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens > 0
    assert raw.headers["x-ingate-request-id"].startswith("req_")


def test_openai_stream_from_claude(to_claude: openai.OpenAI) -> None:
    stream = to_claude.chat.completions.create(
        model=CLAUDE,
        messages=[{"role": "user", "content": "tell me a story"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    roles = [c.choices[0].delta.role for c in chunks if c.choices and c.choices[0].delta.role]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert roles == ["assistant"], "exactly one role chunk"
    assert text.startswith(f"Mock reply from {CLAUDE}: tell me a story")
    assert finish == ["stop"]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(text.split())
    assert len({c.id for c in chunks}) == 1


def test_openai_tool_call_from_claude(to_claude: openai.OpenAI) -> None:
    completion = to_claude.chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": "weather in Paris?"}], tools=[WEATHER_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather"]  # type: ignore[union-attr]
    assert json.loads(calls[0].function.arguments) == {"city": "sample", "days": 1}  # type: ignore[union-attr]
    assert calls[0].id.startswith("toolu_")


def _reassemble(chunks: list[Any]) -> dict[int, dict[str, str]]:
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            if delta.id:
                assert not call["id"], f"tool call {delta.index} announced twice"
                call["id"] = delta.id
            if delta.function and delta.function.name:
                call["name"] = delta.function.name
            if delta.function and delta.function.arguments:
                call["arguments"] += delta.function.arguments
    return calls


def test_parallel_tool_calls_streamed_with_correct_indices(to_claude: openai.OpenAI) -> None:
    chunks = list(
        to_claude.chat.completions.create(
            model=CLAUDE,
            messages=[{"role": "user", "content": "parallel: weather and time please"}],
            tools=[WEATHER_TOOL, TIME_TOOL],
            stream=True,
        )
    )
    calls = _reassemble(chunks)
    assert sorted(calls) == [0, 1]
    assert (calls[0]["name"], calls[1]["name"]) == ("get_weather", "get_time")
    assert json.loads(calls[0]["arguments"]) == {"city": "sample", "days": 1}
    assert json.loads(calls[1]["arguments"]) == {"zone": "UTC"}
    assert all(call["id"].startswith("toolu_") for call in calls.values())
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["tool_calls"]


def test_tool_result_round_trip(to_claude: openai.OpenAI) -> None:
    completion = to_claude.chat.completions.create(
        model=CLAUDE,
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "toolu_01",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_01", "content": "sunny, 21C"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert (completion.choices[0].message.content or "").startswith("Tool result received: sunny, 21C")


def test_images_base64_and_url(to_claude: openai.OpenAI) -> None:
    completion = to_claude.chat.completions.create(
        model=CLAUDE,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is in these"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL_PNG}"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                ],
            }
        ],
    )
    assert (completion.choices[0].message.content or "").startswith(f"Mock reply from {CLAUDE}:")


def test_inexpressible_request_is_a_clear_400(to_claude: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        to_claude.chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": "x"}], n=2)
    assert "n: Only one choice" in caught.value.message  # the parameter leads the message
    assert caught.value.response.headers["x-ingate-request-id"].startswith("req_")


def test_upstream_error_raises_the_callers_exception(to_claude: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        to_claude.chat.completions.create(
            model=CLAUDE, messages=[{"role": "user", "content": "x"}], extra_headers={"X-Mock-Status": "429"}
        )


async def test_async_openai_client_to_claude(edge: Edge, ingate_key: str, translators: Translators) -> None:
    client = openai.AsyncOpenAI(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"},
        max_retries=0,
    )
    answers = await asyncio.gather(
        *(
            client.chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": f"q{i}"}])
            for i in range(8)
        )
    )
    for i, answer in enumerate(answers):
        assert (answer.choices[0].message.content or "").startswith(f"Mock reply from {CLAUDE}: q{i}")


def test_anthropic_sdk_gets_a_gpt_answer_in_anthropic_format(to_gpt: anthropic.Anthropic) -> None:
    message = to_gpt.messages.create(
        model="gpt-4o", max_tokens=100, system="Be brief.", messages=[{"role": "user", "content": "hi gpt"}]
    )
    assert message.type == "message"
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith("Mock reply from gpt-4o: hi gpt")
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens > 0


def test_anthropic_stream_from_gpt(to_gpt: anthropic.Anthropic) -> None:
    with to_gpt.messages.stream(
        model="gpt-4o", max_tokens=100, messages=[{"role": "user", "content": "stream it"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces).startswith("Mock reply from gpt-4o: stream it")
    assert final.content[0].text == "".join(pieces)  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len("".join(pieces).split())


def test_anthropic_raw_event_order_from_gpt(edge: Edge, ingate_key: str, translators: Translators) -> None:
    with httpx.stream(
        "POST",
        f"{edge.url}/v1/messages",
        headers={
            "x-api-key": ingate_key,
            "anthropic-version": "2023-06-01",
            "X-Ingate-Provider": "openai",
            "X-Ingate-Translate": "true",
        },
        json={
            "model": "gpt-4o",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "a"}],
        },
        timeout=20,
    ) as response:
        names = [line[len("event: ") :] for line in response.iter_lines() if line.startswith("event: ")]
    assert names[0] == "message_start"
    assert names.count("message_start") == 1
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 1


def test_anthropic_tool_use_streamed_from_gpt(to_gpt: anthropic.Anthropic) -> None:
    tools: Any = [
        {"name": "get_weather", "input_schema": WEATHER_TOOL["function"]["parameters"]},
        {"name": "get_time", "input_schema": TIME_TOOL["function"]["parameters"]},
    ]
    with to_gpt.messages.stream(
        model="gpt-4o",
        max_tokens=100,
        tools=tools,
        messages=[{"role": "user", "content": "parallel: weather and time"}],
    ) as stream:
        final = stream.get_final_message()
    uses = [block for block in final.content if block.type == "tool_use"]
    assert final.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in uses] == [
        ("get_weather", {"city": "sample", "days": 1}),
        ("get_time", {"zone": "UTC"}),
    ]
    assert all(u.id.startswith("call_") for u in uses)


@pytest.fixture
def to_ollama(keyed_ollama_edge: Edge, ingate_key: str, translators: Translators) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=keyed_ollama_edge.url,
        api_key=ingate_key,
        default_headers={"X-Ingate-Provider": "ollama", "X-Ingate-Translate": "true"},
        max_retries=0,
        timeout=20,
    )


def test_anthropic_sdk_reaches_an_ollama_provider_through_its_openai_api(
    to_ollama: anthropic.Anthropic,
) -> None:
    # Ollama providers are sent OpenAI chat, at /v1/chat/completions of their base URL.
    message = to_ollama.messages.create(
        model="llama3.2", max_tokens=100, messages=[{"role": "user", "content": "hi llama"}]
    )
    assert message.type == "message" and message.content[0].type == "text"
    assert message.content[0].text.startswith("Mock reply from llama3.2: hi llama")
    assert message.stop_reason == "end_turn"
    with to_ollama.messages.stream(
        model="llama3.2", max_tokens=100, messages=[{"role": "user", "content": "stream it"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces).startswith("Mock reply from llama3.2: stream it")
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


def test_anthropic_sdk_sees_upstream_errors_as_its_own(to_gpt: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.InternalServerError) as caught:
        to_gpt.messages.create(
            model="gpt-4o",
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Mock-Status": "500"},
        )
    assert caught.value.body["type"] == "error"  # type: ignore[index]


async def test_traceparent_rides_in_nats_headers(
    edge: Edge, ingate_key: str, translators: Translators
) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    seen: list[str] = []
    client = await connect(edge.nats_url, "test-trace-tap")

    async def tap(msg: Any) -> None:
        seen.append((msg.headers or {}).get("traceparent", ""))

    await client.subscribe("ingate.translate.v1.>", cb=tap)
    await client.flush()
    async with httpx.AsyncClient(timeout=20) as http:
        response = await http.post(
            f"{edge.url}/v1/chat/completions",
            headers={
                "Authorization": f"Bearer {ingate_key}",
                "X-Ingate-Provider": "anthropic",
                "X-Ingate-Translate": "true",
                "traceparent": traceparent,
            },
            json={"model": CLAUDE, "messages": [{"role": "user", "content": "trace me"}]},
        )
    assert response.status_code == 200
    async with asyncio.timeout(20):  # the tap's copies may trail the answer
        while not seen:  # noqa: ASYNC110 - polling what a subscription fills in
            await asyncio.sleep(0.02)
    await client.close()
    assert set(seen) == {traceparent}


def test_translator_outage_is_503_then_heals(to_claude: openai.OpenAI, translators: Translators) -> None:
    translators.stop_all()
    try:
        with pytest.raises(openai.InternalServerError) as caught:
            to_claude.chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": "x"}])
        assert caught.value.status_code == 503
        assert caught.value.code == "translator_unavailable"
        assert caught.value.response.headers["x-ingate-request-id"].startswith("req_")
    finally:
        translators.start()
    completion = to_claude.chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": "back"}]
    )
    assert (completion.choices[0].message.content or "").startswith(f"Mock reply from {CLAUDE}: back")


async def test_two_translator_replicas_share_the_work(
    edge: Edge, ingate_key: str, translators: Translators
) -> None:
    second = translators.start()
    try:
        client = openai.AsyncOpenAI(
            base_url=edge.url,
            api_key=ingate_key,
            default_headers={"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"},
            max_retries=0,
        )
        for _ in range(40):
            await client.chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": "x"}])
        served = await _requests_per_translator(edge.nats_url, replicas=2)
        assert len(served) == 2, served
        assert all(count > 0 for count in served.values()), served
    finally:
        translators.stop(second)


async def _requests_per_translator(nats_url: str, replicas: int) -> dict[str, int]:
    """Ask every replica for its nats.micro stats (waiting for `replicas` answers, or 20 s) and
    sum its endpoints' request counts."""
    client = await connect(nats_url, "test-stats")
    inbox = client.new_inbox()
    replies: list[bytes] = []

    async def collect(msg: Any) -> None:
        replies.append(msg.data)

    await client.subscribe(inbox, cb=collect)
    await client.publish("$SRV.STATS.ingate-translator", b"", reply=inbox)
    deadline = time.monotonic() + 20
    while len(replies) < replicas and time.monotonic() < deadline:  # noqa: ASYNC110 - a scatter-gather
        await asyncio.sleep(0.02)
    await client.close()
    served: dict[str, int] = {}
    for data in replies:
        stats = msgspec.json.decode(data)
        served[stats["id"]] = sum(endpoint["num_requests"] for endpoint in stats["endpoints"])
    return served
