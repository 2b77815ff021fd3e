"""The official ollama client over a transport that plays the gateway's Ollama side: the codec
reads what the client sends and writes what a provider answered (given as IR), so the client's
own parsing checks every body, line and error."""

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import ollama
import pytest

from ingate_translate import TranslationError, ir
from ingate_translate.shapes.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from tests.translate.support import CREATED
from tests.translate.test_ollama_request import PNG, WEATHER
from tests.translate.test_ollama_stream import TEXT_EVENTS, TOOL_EVENTS

Answer = ir.Response | list[ir.Event] | ir.Error


@dataclass
class Gateway:
    answer: Callable[[ir.Request], Answer]
    requests: list[ir.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        codec = OLLAMA_CHAT if request.url.path == "/api/chat" else OLLAMA_GENERATE
        try:
            read = codec.read_request(request.read(), ir.Hints())
        except TranslationError as exc:
            error = ir.Error(status=400, kind="invalid_request", message=exc.message, param=exc.param)
            status, body = codec.write_error(error)
            return httpx.Response(status, content=body)
        self.requests.append(read)
        context = ir.Context(model=read.model, created=CREATED, stream=read.stream)
        answer = self.answer(read)
        if isinstance(answer, ir.Error):
            status, body = codec.write_error(answer)
            return httpx.Response(status, content=body)
        if isinstance(answer, ir.Response):
            return httpx.Response(200, content=codec.write_response(answer, context))
        state, out = b"", b""
        for event in answer:  # one event per call, as a slow provider sends them
            state, produced = codec.write_stream(state, context, [event], False)
            out += produced
        out += codec.write_stream(state, context, [], True)[1]
        return httpx.Response(200, headers={"content-type": "application/x-ndjson"}, content=out)

    def client(self) -> ollama.Client:
        return ollama.Client(host="http://gateway.test", transport=httpx.MockTransport(self.handle))


def reply(*parts: ir.Part, stop: ir.StopReason = "end") -> ir.Response:
    return ir.Response(
        id="m", model="gpt-4o", parts=list(parts), stop=stop, usage=ir.Usage(input_tokens=3, output_tokens=2)
    )


def test_chat() -> None:
    gateway = Gateway(lambda _: reply(ir.Thinking(text="hm", signature="s"), ir.Text(text="Hello!")))
    response = gateway.client().chat(
        model="smart",
        messages=[{"role": "user", "content": "Hi", "images": [PNG]}],
        stream=False,
        options={"temperature": 0.1, "num_ctx": 4096},
        think=True,
    )
    assert (response.message.content, response.message.thinking) == ("Hello!", "hm")
    assert (response.prompt_eval_count, response.eval_count, response.done_reason) == (3, 2, "stop")
    assert response.model == "smart" and response.created_at == "2023-11-14T22:13:20Z"
    sent = gateway.requests[0]
    assert sent.temperature == 0.1 and sent.reasoning == ir.Reasoning(effort="medium")
    assert isinstance(sent.messages[0].parts[0], ir.Image)


def test_chat_streams_by_default() -> None:
    gateway = Gateway(lambda _: TEXT_EVENTS)
    parts = list(
        gateway.client().chat(model="smart", messages=[{"role": "user", "content": "Hi"}], stream=True)
    )
    assert "".join(p.message.content or "" for p in parts) == "Hello world"
    assert "".join(p.message.thinking or "" for p in parts) == "Short answer."
    assert [p.done for p in parts] == [False] * 4 + [True]
    assert (parts[-1].prompt_eval_count, parts[-1].eval_count) == (9, 6)
    assert gateway.requests[0].stream


def test_a_tool_loop() -> None:
    def answer(request: ir.Request) -> Answer:
        last = request.messages[-1].parts[-1]
        if isinstance(last, ir.ToolResult):
            return reply(ir.Text(text=f"{last.name} said {last.content[0]}"))
        return reply(
            ir.ToolCall(id="toolu_9", name="get_weather", arguments={"city": "Paris"}), stop="tool_calls"
        )

    gateway = Gateway(answer)
    client = gateway.client()
    messages: list[ollama.Message] = [ollama.Message(role="user", content="Weather in Paris?")]
    first = client.chat(model="smart", messages=messages, tools=[WEATHER], stream=False)
    calls = first.message.tool_calls or []
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    messages += [first.message, ollama.Message(role="tool", content="sunny", tool_name="get_weather")]
    second = client.chat(model="smart", messages=messages, tools=[WEATHER], stream=False)
    assert (second.message.content or "").startswith("get_weather said")
    history = gateway.requests[1].messages
    assert history[1].parts == [ir.ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})]
    result = history[2].parts[0]
    assert isinstance(result, ir.ToolResult) and result.call_id == "call_1"


def test_streamed_tool_calls() -> None:
    gateway = Gateway(lambda _: TOOL_EVENTS)
    parts = list(
        gateway.client().chat(
            model="smart", messages=[{"role": "user", "content": "x"}], tools=[WEATHER], stream=True
        )
    )
    names = [call.function.name for part in parts for call in part.message.tool_calls or ()]
    assert names == ["get_time", "get_weather"]


def test_generate() -> None:
    gateway = Gateway(lambda _: reply(ir.Text(text="Because."), stop="length"))
    response = gateway.client().generate(model="smart", prompt="Why?", system="Be brief.", stream=False)
    assert (response.response, response.done_reason) == ("Because.", "length")
    gateway.answer = lambda _: TEXT_EVENTS
    streamed = list(gateway.client().generate(model="smart", prompt="Why?", stream=True))
    assert "".join(part.response or "" for part in streamed) == "Hello world"
    assert streamed[-1].done


def test_a_refusal_is_a_response_error_naming_the_parameter() -> None:
    gateway = Gateway(lambda _: reply(ir.Text(text="unused")))
    with pytest.raises(ollama.ResponseError) as caught:
        gateway.client().generate(model="smart", prompt="def f(", suffix="return 1", stream=False)
    assert caught.value.status_code == 400
    assert "suffix" in caught.value.error
    assert gateway.requests == []


def test_a_provider_error_is_a_response_error() -> None:
    gateway = Gateway(lambda _: ir.Error(status=429, kind="rate_limit", message="Too many requests"))
    with pytest.raises(ollama.ResponseError) as caught:
        gateway.client().chat(model="smart", messages=[{"role": "user", "content": "x"}], stream=False)
    assert (caught.value.status_code, caught.value.error) == (429, "Too many requests")


def test_a_broken_stream_raises_in_the_client() -> None:
    gateway = Gateway(lambda _: TEXT_EVENTS[:8])
    stream = gateway.client().chat(model="smart", messages=[{"role": "user", "content": "x"}], stream=True)
    with pytest.raises(ollama.ResponseError, match="ended before the answer was complete"):
        list(stream)
