"""The official ``google-genai`` SDK against the mock provider's Gemini API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from google import genai
from google.genai import errors, types

from tests.mock_provider.conftest import GEMINI_KEY, RunningMock

MODEL = "gemini-2.5-flash"
THINK = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True))
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


def client_for(url: str, key: str = GEMINI_KEY, version: str | None = None) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url, api_version=version))


@pytest.fixture(scope="module")
def gemini(mock_provider_url: str) -> Iterator[genai.Client]:
    with client_for(mock_provider_url) as client:
        yield client


@pytest.mark.parametrize("version", ["v1beta", "v1"])
def test_generate_content(mock_provider_url: str, version: str) -> None:
    client = client_for(mock_provider_url, version=version)
    reply = client.models.generate_content(
        model=MODEL, contents="hi there", config=types.GenerateContentConfig(system_instruction="be brief")
    )
    assert reply.text == f"Mock reply from {MODEL}: hi there hi there hi there hi there"
    assert reply.model_version == MODEL and reply.response_id
    assert reply.candidates and reply.candidates[0].finish_reason == types.FinishReason.STOP
    usage = reply.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (4, 12, 16)
    assert usage.thoughts_token_count is None and usage.cached_content_token_count is None


def test_max_output_tokens_cuts_the_answer(gemini: genai.Client) -> None:
    reply = gemini.models.generate_content(
        model=MODEL, contents="a b", config=types.GenerateContentConfig(max_output_tokens=5)
    )
    assert reply.text == f"Mock reply from {MODEL}: a"
    assert reply.candidates and reply.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


def test_images_count_as_gemini_counts_them(gemini: genai.Client) -> None:
    image = types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n", mime_type="image/png")
    reply = gemini.models.generate_content(model=MODEL, contents=[image, "what is this"])
    usage = reply.usage_metadata
    assert usage is not None and usage.prompt_token_count == 3 + 258
    details = {d.modality: d.token_count for d in usage.prompt_tokens_details or ()}
    assert details == {types.MediaModality.TEXT: 3, types.MediaModality.IMAGE: 258}


def test_stream_over_sse(gemini: genai.Client) -> None:
    chunks = list(gemini.models.generate_content_stream(model=MODEL, contents="one two"))
    assert len(chunks) == 12, "one piece of text per response"
    assert (
        "".join(c.text or "" for c in chunks) == f"Mock reply from {MODEL}: one two one two one two one two"
    )
    for chunk in chunks[:-1]:
        assert chunk.candidates and chunk.candidates[0].finish_reason is None
        assert chunk.usage_metadata is not None and chunk.usage_metadata.prompt_token_count == 2
        assert chunk.usage_metadata.candidates_token_count is None
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 12


def test_stream_without_alt_is_one_json_array(mock_provider_url: str) -> None:
    url = f"{mock_provider_url}/v1beta/models/{MODEL}:streamGenerateContent?key={GEMINI_KEY}"
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    answer = httpx.post(url, json=body, headers={"x-mock-reply-tokens": "6"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    responses = answer.json()
    assert [r["candidates"][0]["content"]["parts"][0]["text"] for r in responses] == [
        "Mock",
        " reply",
        " from",
        f" {MODEL}:",
        " x",
        " x",
    ]
    assert responses[-1]["candidates"][0]["finishReason"] == "STOP"


def test_sse_events_are_framed_as_google_frames_them(mock_provider_url: str) -> None:
    url = f"{mock_provider_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
    body = {"contents": [{"parts": [{"text": "x"}]}]}
    headers = {"x-goog-api-key": GEMINI_KEY, "x-mock-reply-tokens": "2"}
    answer = httpx.post(url, json=body, headers=headers, timeout=10)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = answer.text.split("\r\n\r\n")
    assert events[-1] == "" and all(e.startswith("data: {") for e in events[:-1])
    assert json.loads(events[-2].removeprefix("data: "))["usageMetadata"]["candidatesTokenCount"] == 2


def test_count_tokens(gemini: genai.Client) -> None:
    counted = gemini.models.count_tokens(model=MODEL, contents=["a b c", "d"])
    assert counted.total_tokens == 4


def test_models_list_and_get(gemini: genai.Client) -> None:
    names = [m.name for m in gemini.models.list()]
    assert f"models/{MODEL}" in names
    model = gemini.models.get(model=MODEL)
    assert (model.name, model.display_name) == (f"models/{MODEL}", "Gemini 2.5 Flash")
    with pytest.raises(errors.ClientError) as missing:
        gemini.models.get(model="gemini-0")
    assert (missing.value.code, missing.value.status) == (404, "NOT_FOUND")


def test_function_calling_and_the_function_response_turn(gemini: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[WEATHER])
    asked = gemini.models.generate_content(model=MODEL, contents="weather in Paris?", config=config)
    assert asked.function_calls is not None
    [call] = asked.function_calls
    assert (call.name, call.args) == ("get_weather", {"city": "sample"})
    assert asked.candidates and asked.candidates[0].content is not None
    answer = types.Part.from_function_response(name="get_weather", response={"temp": 21})
    history = [
        types.Content(role="user", parts=[types.Part(text="weather in Paris?")]),
        asked.candidates[0].content,
        types.Content(role="user", parts=[answer]),
    ]
    done = gemini.models.generate_content(model=MODEL, contents=history, config=config)
    assert done.text == 'Tool result received: {"temp":21}'


def test_tool_config_none_answers_in_text(gemini: genai.Client) -> None:
    calling = types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.NONE)
    config = types.GenerateContentConfig(
        tools=[WEATHER], tool_config=types.ToolConfig(function_calling_config=calling)
    )
    reply = gemini.models.generate_content(model=MODEL, contents="weather?", config=config)
    assert reply.function_calls is None and (reply.text or "").startswith("Mock reply")


def test_thinking_shows_a_thought_and_signs_the_answer(gemini: genai.Client) -> None:
    reply = gemini.models.generate_content(model=MODEL, contents="why is the sky blue", config=THINK)
    assert reply.candidates and reply.candidates[0].content and reply.candidates[0].content.parts
    thought, answer = reply.candidates[0].content.parts
    assert (thought.thought, thought.text) == (True, "Thinking about: why is the sky blue")
    assert not answer.thought and answer.thought_signature
    usage = reply.usage_metadata
    assert usage is not None and usage.thoughts_token_count == 7
    assert usage.total_token_count == 5 + 12 + 7  # candidates leave the thoughts out


def test_a_signed_call_sent_back_unchanged_continues_and_an_altered_one_is_refused(
    gemini: genai.Client,
) -> None:
    config = types.GenerateContentConfig(tools=[WEATHER], thinking_config=THINK.thinking_config)
    asked = gemini.models.generate_content(model=MODEL, contents="weather?", config=config)
    assert asked.candidates and asked.candidates[0].content and asked.candidates[0].content.parts
    turn = asked.candidates[0].content
    assert turn.parts is not None
    call_part = turn.parts[-1]  # the thought first, the signed call after it
    assert call_part.function_call is not None and call_part.thought_signature
    result = types.Content(
        role="user", parts=[types.Part.from_function_response(name="get_weather", response={})]
    )
    history = [types.Content(role="user", parts=[types.Part(text="weather?")]), turn, result]
    done = gemini.models.generate_content(model=MODEL, contents=history, config=config)
    assert (done.text or "").startswith("Tool result received")
    call_part.function_call.args = {"city": "Rome"}
    with pytest.raises(errors.ClientError) as refused:
        gemini.models.generate_content(model=MODEL, contents=history, config=config)
    assert (refused.value.code, refused.value.status) == (400, "INVALID_ARGUMENT")
    assert "Thought signature is not valid" in (refused.value.message or "")


def test_a_repeated_long_prompt_is_read_from_the_implicit_cache(gemini: genai.Client) -> None:
    prompt = " ".join([uuid.uuid4().hex, *(["lorem"] * 1199)])  # new to the instance's cache
    first = gemini.models.generate_content(model=MODEL, contents=prompt)
    second = gemini.models.generate_content(model=MODEL, contents=prompt)
    assert first.usage_metadata is not None and second.usage_metadata is not None
    assert first.usage_metadata.cached_content_token_count is None
    assert second.usage_metadata.cached_content_token_count == 1152  # in 128-token steps


def test_a_bad_key_is_refused_as_google_refuses_it(mock_provider_url: str) -> None:
    client = client_for(mock_provider_url, key="AIza-wrong")  # held: a dropped client closes its pool
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=MODEL, contents="x")
    assert (refused.value.code, refused.value.status) == (400, "INVALID_ARGUMENT")
    assert refused.value.message == "API key not valid. Please pass a valid API key."


def test_the_key_may_come_as_a_query_parameter_and_every_key_sent_must_be_valid(
    mock_provider_url: str,
) -> None:
    url = f"{mock_provider_url}/v1beta/models/{MODEL}:generateContent"
    body = {"contents": [{"parts": [{"text": "x"}]}]}
    assert httpx.post(f"{url}?key={GEMINI_KEY}", json=body, timeout=10).status_code == 200
    both = httpx.post(f"{url}?key=sk-ingate-x", json=body, headers={"x-goog-api-key": GEMINI_KEY}, timeout=10)
    assert both.status_code == 400 and both.json()["error"]["status"] == "INVALID_ARGUMENT"
    missing = httpx.post(url, json=body, timeout=10)
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"


def test_bad_bodies_get_googles_errors(mock_provider_url: str) -> None:
    url = f"{mock_provider_url}/v1beta/models/{MODEL}:generateContent?key={GEMINI_KEY}"
    empty = httpx.post(url, json={"contents": []}, timeout=10)
    assert empty.status_code == 400 and empty.json()["error"]["status"] == "INVALID_ARGUMENT"
    broken = httpx.post(url, content=b"{not json", timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == 400


@pytest.mark.parametrize(
    ("status", "name", "error"),
    [(429, "RESOURCE_EXHAUSTED", errors.ClientError), (500, "INTERNAL", errors.ServerError),
     (503, "UNAVAILABLE", errors.ServerError)],
)  # fmt: skip
def test_scheduled_faults_come_in_googles_shape(
    faulty_mock: RunningMock, control: httpx.Client, status: int, name: str, error: type[errors.APIError]
) -> None:
    control.post("/_mock/faults", json={"fail_next": 1, "status": status})
    client = client_for(faulty_mock.url)
    with pytest.raises(error) as failed:
        client.models.generate_content(model=MODEL, contents="x")
    assert (failed.value.code, failed.value.status) == (status, name)
    assert client.models.generate_content(model=MODEL, contents="x").text
