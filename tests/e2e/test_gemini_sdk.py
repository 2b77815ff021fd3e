"""The official google-genai client, pointed at the edge with nothing changed but base_url.

The built-in gemini provider is the mock's Gemini API (passthrough). The mock takes only
its own Gemini key and refuses a request that brings any other, so every answer here also
shows that the caller's Ingate key went no further than the edge, however it was sent.
"""

import base64
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from google import genai
from google.genai import errors, types

from ingate_contracts import RequestRecord
from tests.conftest import Edge
from tests.support.events import RecordTap, tap_records

MODEL = "gemini-2.5-flash"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
WEATHER = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            parameters=types.Schema(
                type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}
            ),
        )
    ]
)
THINKING = types.ThinkingConfig(include_thoughts=True)


def gemini_client(edge: Edge, key: str, version: str | None = None) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=edge.url, api_version=version))


@pytest.fixture
def client(edge: Edge, ingate_key: str) -> genai.Client:
    return gemini_client(edge, ingate_key)


@pytest.fixture
async def tap(edge: Edge) -> AsyncIterator[RecordTap]:
    async with tap_records(edge.nats_url) as records:
        yield records


def request_id(headers: dict[str, str] | None) -> str:
    assert headers is not None
    found = {name.lower(): value for name, value in headers.items()}.get("x-ingate-request-id", "")
    assert found.startswith("req_")
    return found


def tokens(record: RequestRecord) -> tuple[int, int, int, int]:
    return record.input_tokens, record.output_tokens, record.cache_read_tokens, record.reasoning_tokens


@pytest.mark.parametrize("version", ["v1beta", "v1"])
async def test_generate_content_with_a_system_instruction_and_an_image(
    edge: Edge, ingate_key: str, tap: RecordTap, version: str
) -> None:
    client = gemini_client(edge, ingate_key, version)
    image = types.Part.from_bytes(data=PNG, mime_type="image/png")
    reply = await client.aio.models.generate_content(
        model=MODEL,
        contents=[image, "what is in this picture"],
        config=types.GenerateContentConfig(system_instruction="answer in one line"),
    )
    assert (reply.text or "").startswith(f"Mock reply from {MODEL}: what is in this picture")
    usage = reply.usage_metadata
    assert usage is not None and usage.prompt_token_count == 4 + 5 + 258  # the image counted
    assert reply.sdk_http_response is not None
    record = await tap.record_for(request_id(reply.sdk_http_response.headers))
    assert (record.provider, record.model, record.endpoint) == ("gemini", MODEL, "models.generateContent")
    assert (record.status, record.stream, record.translated) == (200, False, False)
    assert tokens(record) == (4 + 5 + 258, 12, 0, 0)
    assert not record.usage_estimated


async def test_stream_arrives_in_pieces_and_is_counted_from_usage_metadata(
    client: genai.Client, tap: RecordTap
) -> None:
    chunks = [
        chunk
        async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents="a b c")
    ]
    assert len(chunks) > 3, "the stream arrived in one piece; passthrough must be chunk by chunk"
    assert "".join(c.text or "" for c in chunks).startswith(f"Mock reply from {MODEL}: a b c")
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[0].sdk_http_response is not None
    record = await tap.record_for(request_id(chunks[0].sdk_http_response.headers))
    assert (record.model, record.endpoint, record.stream) == (MODEL, "models.streamGenerateContent", True)
    assert tokens(record) == (3, 12, 0, 0)
    assert not record.usage_estimated


async def test_thinking_is_recorded_as_reasoning_inside_the_output(
    client: genai.Client, tap: RecordTap
) -> None:
    config = types.GenerateContentConfig(thinking_config=THINKING)
    reply = await client.aio.models.generate_content(
        model=MODEL, contents="why is the sky blue", config=config
    )
    usage = reply.usage_metadata
    assert usage is not None and usage.thoughts_token_count == 7 and usage.candidates_token_count == 12
    assert reply.sdk_http_response is not None
    record = await tap.record_for(request_id(reply.sdk_http_response.headers))
    assert tokens(record) == (5, 12 + 7, 0, 7)


async def test_a_repeated_long_prompt_is_recorded_as_cache_reads(
    client: genai.Client, tap: RecordTap
) -> None:
    prompt = " ".join(f"w{uuid.uuid4().hex[:6]}" for _ in range(1100))
    await client.aio.models.generate_content(model=MODEL, contents=prompt)
    again = await client.aio.models.generate_content(model=MODEL, contents=prompt)
    assert again.usage_metadata is not None and again.usage_metadata.cached_content_token_count == 1024
    assert again.sdk_http_response is not None
    record = await tap.record_for(request_id(again.sdk_http_response.headers))
    assert tokens(record) == (1100, 12, 1024, 0)
    assert record.cost_usd > 0  # priced from the catalog at Gemini's rates


async def test_function_calling_with_signed_thinking_round_trips(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[WEATHER], thinking_config=THINKING)
    question = types.Content(role="user", parts=[types.Part(text="weather in Paris?")])
    asked = await client.aio.models.generate_content(model=MODEL, contents=[question], config=config)
    assert asked.function_calls is not None
    assert [(c.name, c.args) for c in asked.function_calls] == [("get_weather", {"city": "sample"})]
    assert asked.candidates and asked.candidates[0].content and asked.candidates[0].content.parts
    turn = asked.candidates[0].content
    assert turn.parts and turn.parts[-1].thought_signature, "the call comes signed"
    result = types.Part.from_function_response(name="get_weather", response={"temp": 21})
    history = [question, turn, types.Content(role="user", parts=[result])]
    # The mock refuses a signature that does not match its call: this passes only if the
    # edge passed both through untouched.
    done = await client.aio.models.generate_content(model=MODEL, contents=history, config=config)
    assert (done.text or "") == 'Tool result received: {"temp":21}'


async def test_count_tokens_and_the_model_list(client: genai.Client, tap: RecordTap) -> None:
    counted = await client.aio.models.count_tokens(model=MODEL, contents="one two three")
    assert counted.total_tokens == 3
    names = [model.name async for model in await client.aio.models.list()]
    assert f"models/{MODEL}" in names
    model = await client.aio.models.get(model=MODEL)
    assert model.name == f"models/{MODEL}"


def test_the_key_as_a_query_parameter_is_used_and_never_forwarded(edge: Edge, ingate_key: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "curl style"}]}]}
    url = f"{edge.url}/v1beta/models/{MODEL}:generateContent?key={ingate_key}"
    answer = httpx.post(url, json=body, timeout=20)
    assert answer.status_code == 200, answer.text  # the mock refuses any key but its own
    assert answer.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("Mock reply")
    stream_url = f"{edge.url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse&key={ingate_key}"
    with httpx.stream("POST", stream_url, json=body, timeout=20) as streamed:
        assert streamed.status_code == 200
        assert streamed.headers["content-type"].startswith("text/event-stream")  # alt=sse went on
        events = [line for line in streamed.iter_lines() if line.startswith("data: ")]
    assert json.loads(events[-1].removeprefix("data: "))["candidates"][0]["finishReason"] == "STOP"


def test_without_alt_sse_the_stream_is_gemini_s_json_array(edge: Edge, ingate_key: str) -> None:
    url = f"{edge.url}/v1beta/models/{MODEL}:streamGenerateContent"
    body = {"contents": [{"parts": [{"text": "x"}]}]}
    answer = httpx.post(url, json=body, headers={"x-goog-api-key": ingate_key}, timeout=20)
    assert answer.status_code == 200
    responses = answer.json()
    assert isinstance(responses, list) and responses[-1]["candidates"][0]["finishReason"] == "STOP"


async def test_a_bad_key_is_a_401_in_googles_shape(edge: Edge) -> None:
    client = gemini_client(edge, "sk-ingate-not-a-real-key")
    with pytest.raises(errors.ClientError) as refused:
        await client.aio.models.generate_content(model=MODEL, contents="x")
    assert (refused.value.code, refused.value.status) == (401, "UNAUTHENTICATED")
    assert "Invalid Ingate API key" in (refused.value.message or "")
    details = refused.value.details["error"]["details"]
    assert any(d.get("requestId", "").startswith("req_") for d in details)


def test_a_model_the_key_may_not_use_is_refused_by_its_path(edge: Edge) -> None:
    client = gemini_client(edge, edge.new_key("--name", "gemini-flash-only", "--models", "gemini-2.5-flash*"))
    assert client.models.generate_content(model=MODEL, contents="x").text
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model="gemini-2.5-pro", contents="x")
    assert (refused.value.code, refused.value.status) == (403, "PERMISSION_DENIED")
    assert "gemini-2.5-pro" in (refused.value.message or "")


@pytest.mark.parametrize(
    ("path", "content", "status", "google_status"),
    [
        (f"/v1beta/models/{MODEL}:generateContent", b"{not json", 400, "INVALID_ARGUMENT"),
        ("/v1beta/models/a/b:generateContent", b"{}", 404, "NOT_FOUND"),
        ("/v1beta/cachedContents", b"{}", 404, "NOT_FOUND"),
        (f"/v1beta/models/{MODEL}:generateContent", b'{"contents":"' + b"x" * (2 * 1024 * 1024) + b'"}', 413,
         "INVALID_ARGUMENT"),
    ],
)  # fmt: skip
def test_bad_requests_are_answered_in_googles_shape(
    edge: Edge, ingate_key: str, path: str, content: bytes, status: int, google_status: str
) -> None:
    headers = {"x-goog-api-key": ingate_key, "content-type": "application/json"}
    answer = httpx.post(f"{edge.url}{path}", content=content, headers=headers, timeout=20)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (status, google_status)
    assert answer.headers["x-ingate-request-id"].startswith("req_")


def test_an_unknown_model_is_the_providers_404(client: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as missing:
        client.models.get(model="gemini-0-nonexistent")
    assert (missing.value.code, missing.value.status) == (404, "NOT_FOUND")
