"""The Responses codec against the mock provider's Responses API, which seals its reasoning
and refuses reasoning sent back altered: a tool loop with reasoning, streamed and not, as
the provider side sends and reads it, and the openai SDK through both sides of a pair."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import openai
import pytest

from ingate_edge.sse import SseFramer
from ingate_translate import SseEvent, ir
from ingate_translate.hub import CodecPair
from ingate_translate.shapes.openai_responses import OpenAIResponses
from tests.mock_provider.conftest import OPENAI_KEY, start_mock, stop_mock

CODEC = OpenAIResponses()
MODEL = "gpt-5"
TIMEOUT_S = 60.0
WEATHER = ir.Tool(
    name="weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    mock = start_mock(tmp_path_factory.mktemp("mock-provider") / "stderr.log")
    try:
        headers = {"authorization": f"Bearer {OPENAI_KEY}"}
        with httpx.Client(base_url=f"{mock.url}/v1", headers=headers, timeout=TIMEOUT_S) as client:
            yield client
    finally:
        stop_mock(mock.proc)


def send(upstream: httpx.Client, request: ir.Request) -> httpx.Response:
    translated = CODEC.write_request(request)
    headers = {"content-type": "application/json"}
    return upstream.post(translated.path, content=translated.body, headers=headers)


def ask(messages: list[ir.Message], stream: bool = False) -> ir.Request:
    return ir.Request(
        model=MODEL,
        system=[ir.Text(text="Be brief.")],
        messages=messages,
        tools=[WEATHER],
        reasoning=ir.Reasoning(budget_tokens=4096),
        stream=stream,
    )


def read_stream(body: bytes) -> list[ir.Event]:
    """The provider's SSE bytes, framed in uneven pieces as they might arrive, read event by event."""
    framer, state, out = SseFramer(), b"", []
    pieces = [body[i : i + 97] for i in range(0, len(body), 97)]
    for piece in pieces:
        for name, data in framer.feed(piece):
            state, produced = CODEC.read_stream(state, [SseEvent(name, data)], False)
            out.extend(produced)
    events = [SseEvent(name, data) for name, data in framer.flush()]
    state, produced = CODEC.read_stream(state, events, True)
    return [*out, *produced]


def assemble(events: list[ir.Event]) -> tuple[list[ir.Part], ir.Finish]:
    """The parts a stream's events make (as a client codec would)."""
    parts: dict[int, ir.Part] = {}
    arguments: dict[int, str] = {}
    finish: ir.Finish | None = None
    for event in events:
        if isinstance(event, ir.PartStart):
            parts[event.index] = event.part
        elif isinstance(event, ir.PartDelta):
            part = parts[event.index]
            if isinstance(part, ir.Text):
                part.text += event.text
            elif isinstance(part, ir.Thinking):
                part.text += event.thinking
                part.signature += event.signature
            elif isinstance(part, ir.ToolCall):
                arguments[event.index] = arguments.get(event.index, "") + event.arguments
        elif isinstance(event, ir.Finish):
            finish = event
    for index, text in arguments.items():
        call = parts[index]
        assert isinstance(call, ir.ToolCall)
        call.arguments = json.loads(text)
    assert finish is not None, events
    return [parts[index] for index in sorted(parts)], finish


def first_turn() -> list[ir.Message]:
    return [ir.Message(role="user", parts=[ir.Text(text="Weather in Paris?")])]


def check_tool_turn(parts: list[ir.Part]) -> tuple[ir.Thinking, ir.ToolCall]:
    thinking, call = parts
    assert isinstance(thinking, ir.Thinking) and thinking.text and thinking.signature
    assert isinstance(call, ir.ToolCall) and call.name == "weather" and call.id
    return thinking, call


def second_turn(parts: list[ir.Part], call_id: str) -> list[ir.Message]:
    result = ir.ToolResult(call_id=call_id, name="weather", content=[ir.Text(text="18C and sunny")])
    return [*first_turn(), ir.Message(role="assistant", parts=parts), ir.Message(role="user", parts=[result])]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_tool_loop_with_sealed_reasoning(upstream: httpx.Client, stream: bool) -> None:
    answer = send(upstream, ask(first_turn(), stream))
    assert answer.status_code == 200, answer.text
    if stream:
        parts, finish = assemble(read_stream(answer.content))
        stop, usage = finish.stop, finish.usage
    else:
        response = CODEC.read_response(answer.content)
        parts, stop, usage = response.parts, response.stop, response.usage
    _, call = check_tool_turn(parts)
    assert stop == "tool_calls"
    assert usage is not None and usage.reasoning_tokens > 0 and usage.input_tokens > 0

    # The reasoning goes back as it came: the provider opens its seal and answers.
    again = send(upstream, ask(second_turn(parts, call.id), stream))
    assert again.status_code == 200, again.text
    if stream:
        final, finish = assemble(read_stream(again.content))
        assert finish.stop == "end"
    else:
        final = CODEC.read_response(again.content).parts
    thinking, text = final
    assert isinstance(thinking, ir.Thinking) and isinstance(text, ir.Text) and text.text


def test_altered_reasoning_is_refused_by_the_provider(upstream: httpx.Client) -> None:
    parts = CODEC.read_response(send(upstream, ask(first_turn())).content).parts
    thinking, call = check_tool_turn(parts)
    altered = ir.Thinking(text=thinking.text, signature=thinking.signature[:-4] + "AAAA")
    refused = send(upstream, ask(second_turn([altered, call], call.id)))
    assert refused.status_code == 400
    error = CODEC.read_error(refused.status_code, refused.content)
    assert error.kind == "invalid_request" and "could not be verified" in error.message


def test_openai_sdk_through_the_pair(upstream: httpx.Client) -> None:
    """A Responses caller and a Responses provider, the IR between them."""
    pair = CodecPair(OpenAIResponses(), OpenAIResponses())

    def handle(request: httpx2.Request) -> httpx2.Response:
        translated = pair.request(request.read(), ir.Hints())
        answer = upstream.post(translated.path, content=translated.body)
        assert answer.status_code == 200, answer.text
        if not translated.stream:
            body = pair.response(translated.context, answer.content)
            return httpx2.Response(200, headers={"content-type": "application/json"}, content=body)
        framer = SseFramer()
        events = [SseEvent(name, data) for name, data in [*framer.feed(answer.content), *framer.flush()]]
        _, out = pair.stream(b"", translated.context, events, True)
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=out)

    http = httpx2.Client(transport=httpx2.MockTransport(handle))
    client = openai.OpenAI(api_key="k", base_url="http://gateway.test/v1", http_client=http, max_retries=0)
    tool: Any = {"type": "function", "name": "weather", "parameters": WEATHER.parameters}
    with client.responses.stream(
        model=MODEL, input="Weather in Paris?", tools=[tool], reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        first = stream.get_final_response()
    reasoning, call = first.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content
    assert call.type == "function_call" and call.name == "weather"
    history: Any = [
        {"role": "user", "content": "Weather in Paris?"},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C"},
    ]
    second = client.responses.create(model=MODEL, input=history, tools=[tool], reasoning={"effort": "low"})
    assert second.status == "completed" and second.output_text
