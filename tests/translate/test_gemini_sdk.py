"""The gemini-generate codec against the official google-genai SDK: its types (which forbid
unknown fields) accept everything the codec writes, and an SDK client whose transport runs
the codec sees the answers, streams, errors and signatures it should, turn after turn."""

import json
from typing import Any

import httpx
import pytest

from ingate_edge.sse import SseFramer
from ingate_translate import ir
from ingate_translate.shapes.gemini import GeminiCodec
from tests.translate import test_gemini_request_write as requests
from tests.translate import test_gemini_response as answers
from tests.translate import test_gemini_stream as streams

genai: Any = pytest.importorskip("google.genai")
types: Any = pytest.importorskip("google.genai.types")
errors: Any = pytest.importorskip("google.genai.errors")
pydantic: Any = pytest.importorskip("pydantic")

CODEC = GeminiCodec()
ANTHROPIC_SIGNATURE = "EqQBCkgIARABGAIiQL+/Jb0n1x9u0w=="  # standard base64, which the SDK re-encodes
ANSWER = ir.Response(
    id="msg_01",
    model="claude-x",
    parts=[
        ir.Thinking(text="Two calls.", signature=ANTHROPIC_SIGNATURE),
        ir.ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Paris"}),
    ],
    stop="tool_calls",
    usage=ir.Usage(input_tokens=10, output_tokens=20, reasoning_tokens=5),
)


def valid(model: Any, value: Any) -> None:
    """Validated by an SDK type; test data that is not base64 where the SDK wants bytes aside."""
    try:
        model.model_validate(value)
    except pydantic.ValidationError as exc:
        wrong = [error for error in exc.errors() if error["type"] != "bytes_invalid_encoding"]
        assert not wrong, wrong


@pytest.mark.parametrize("case", answers.WRITE_CASES, ids=[case[0] for case in answers.WRITE_CASES])
def test_the_sdk_reads_every_answer(case: tuple[str, ir.Response, Any]) -> None:
    types.GenerateContentResponse.model_validate(json.loads(CODEC.write_response(case[1], answers.CONTEXT)))


def test_the_sdk_reads_every_stream_chunk() -> None:
    written = streams.write_batches(streams.FROM_ANTHROPIC, [len(streams.FROM_ANTHROPIC)], False)
    for _, data in SseFramer().feed(written):
        types.GenerateContentResponse.model_validate(json.loads(data))


@pytest.mark.parametrize("case", requests.WRITE_CASES, ids=[case[0] for case in requests.WRITE_CASES])
def test_every_request_is_made_of_sdk_types(case: tuple[str, ir.Request, Any]) -> None:
    body = json.loads(CODEC.write_request(case[1]).body)
    assert set(body) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}
    for content in [
        *body.get("contents", []),
        *([body["systemInstruction"]] if "systemInstruction" in body else []),
    ]:
        valid(types.Content, content)
    for tool in body.get("tools", []):
        valid(types.Tool, tool)
    if "toolConfig" in body:
        valid(types.ToolConfig, body["toolConfig"])
    if "generationConfig" in body:
        valid(types.GenerationConfig, body["generationConfig"])


class Gateway:
    """Plays the gateway for an SDK client: reads its request, answers from the IR."""

    def __init__(self, answer: ir.Response | None = None, error: ir.Error | None = None) -> None:
        self.answer, self.error = answer, error
        self.requests: list[ir.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        model, method = request.url.path.rsplit("/", 1)[-1].split(":")
        read = CODEC.read_request(
            request.content, ir.Hints(model=model, stream=method == "streamGenerateContent")
        )
        self.requests.append(read)
        context = ir.Context(model=read.model, stream=read.stream)
        if self.error is not None:
            status, body = CODEC.write_error(self.error)
            return httpx.Response(status, content=body, headers={"content-type": "application/json"})
        assert self.answer is not None
        if not read.stream:
            return httpx.Response(200, content=CODEC.write_response(self.answer, context))
        events = streams.events_of(self.answer)
        _, body = CODEC.write_stream(b"", context, events, True)
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    def client(self) -> Any:
        transport = httpx.Client(transport=httpx.MockTransport(self.handle))
        retry = types.HttpRetryOptions(attempts=1)
        options = types.HttpOptions(
            base_url="http://gateway.test", httpx_client=transport, retry_options=retry
        )
        return genai.Client(api_key="k", http_options=options)


def test_an_sdk_caller_continues_the_turn_with_the_signature_intact() -> None:
    gateway = Gateway(ANSWER)
    client = gateway.client()
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True))
    first = client.models.generate_content(
        model="gemini-2.5-flash", contents="Weather in Paris?", config=config
    )
    assert [call.name for call in first.function_calls] == ["get_weather"]
    assert first.function_calls[0].id == "toolu_01"
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
        first.candidates[0].content,
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="get_weather", response={"output": "sunny"})],
        ),
    ]
    client.models.generate_content(model="gemini-2.5-flash", contents=history, config=config)
    turn = gateway.requests[-1].messages
    assert turn[1].parts == [
        ir.Thinking(text="Two calls.", signature=ANTHROPIC_SIGNATURE),
        ir.ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Paris"}),
    ]
    assert turn[2].parts[0] == ir.ToolResult(
        call_id="toolu_01", name="get_weather", content=[ir.Text(text="sunny")]
    )


def test_an_sdk_caller_streams() -> None:
    client = Gateway(ANSWER).client()
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="Weather?"))
    parts = [
        part for chunk in chunks if chunk.candidates[0].content for part in chunk.candidates[0].content.parts
    ]
    assert [part.text for part in parts if part.thought and part.text] == ["Two calls."]
    assert [part.function_call.name for part in parts if part.function_call] == ["get_weather"]
    assert chunks[-1].candidates[0].finish_reason == "STOP"
    assert chunks[-1].usage_metadata.thoughts_token_count == 5


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (ir.Error(status=400, kind="invalid_request", message="bad", param="messages[0]"), "ClientError"),
        (ir.Error(status=429, kind="rate_limit", message="slow down"), "ClientError"),
        (ir.Error(status=503, kind="overloaded", message="busy"), "ServerError"),
    ],
)
def test_an_sdk_caller_gets_its_own_errors(error: ir.Error, raised: str) -> None:
    client = Gateway(error=error).client()
    with pytest.raises(getattr(errors, raised)) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert caught.value.code == error.status
    assert error.message in caught.value.message
