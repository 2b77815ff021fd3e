"""The openai SDK's Responses client through the Responses codec on both ends of a pair
(caller → IR → provider → IR → caller): a tool loop with reasoning, streamed and not, and
the errors the SDK must raise."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai
import pytest

from ingate_translate import SseEvent, TranslationError, encode_sse, ir
from ingate_translate.hub import CodecPair
from ingate_translate.shapes.openai_responses import OpenAIResponses
from tests.translate.support import CREATED, Json, dumps
from tests.translate.test_responses_response import ERRORS, OPENAI_RESPONSE
from tests.translate.test_responses_stream_read import OPENAI_STREAM, provider

PAIR = CodecPair(OpenAIResponses(), OpenAIResponses())
WEATHER: Any = {
    "type": "function",
    "name": "weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    events: list[SseEvent] | None = None


@dataclass
class Gateway:
    """Plays the gateway: translates the SDK's request, answers from `reply`, translates back."""

    reply: Callable[[], Reply]
    sent: list[Json] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        json_type = {"content-type": "application/json"}
        try:
            translated = PAIR.request(request.read(), ir.Hints(), created=CREATED)
        except TranslationError as exc:
            status, payload = PAIR.reject(exc)
            return httpx2.Response(status, headers=json_type, content=payload)
        assert translated.path == "/responses"
        self.sent.append(json.loads(translated.body))
        reply = self.reply()
        if reply.status >= 400:
            status, payload = PAIR.error(translated.context, reply.status, reply.body)
            return httpx2.Response(status, headers=json_type, content=payload)
        if reply.events is None:
            return httpx2.Response(
                200, headers=json_type, content=PAIR.response(translated.context, reply.body)
            )
        state, out = b"", b""
        for item in reply.events:  # one event per call, as a slow provider delivers them
            state, chunk = PAIR.stream(state, translated.context, [item], False)
            out += chunk
        state, chunk = PAIR.stream(state, translated.context, [], True)
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=out + chunk)

    def client(self) -> openai.OpenAI:
        http = httpx2.Client(transport=httpx2.MockTransport(self.handle))
        return openai.OpenAI(api_key="k", base_url="http://gateway.test/v1", http_client=http, max_retries=0)


def replies(*items: Reply) -> Callable[[], Reply]:
    queue: Iterator[Reply] = iter(items)
    return lambda: next(queue)


FINAL: Json = {
    **OPENAI_RESPONSE,
    "id": "resp_2",
    "output": [
        {
            "type": "message",
            "id": "msg_2",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "18C in Paris.", "annotations": []}],
        }
    ],
}


def test_tool_loop_with_reasoning() -> None:
    gateway = Gateway(replies(Reply(body=dumps(OPENAI_RESPONSE)), Reply(body=dumps(FINAL))))
    client = gateway.client()
    first = client.responses.create(
        model="gpt-5",
        instructions="Be brief.",
        input="Weather in Paris?",
        tools=[WEATHER],
        reasoning={"effort": "medium", "summary": "auto"},
        store=False,
    )
    assert (first.id, first.model, first.created_at, first.status) == (
        "resp_68af",
        "gpt-5",
        CREATED,
        "completed",
    )
    assert first.output_text == "Let me check."
    reasoning, _, tool_call = first.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "gAAAAABor_8y"
    assert tool_call.type == "function_call" and tool_call.call_id == "call_abc"
    assert json.loads(tool_call.arguments) == {"city": "Paris"}
    assert first.usage is not None and first.usage.input_tokens_details.cached_tokens == 64

    history: list[Any] = [
        {"role": "user", "content": "Weather in Paris?"},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": tool_call.call_id, "output": "18C"},
    ]
    second = client.responses.create(model="gpt-5", input=history, tools=[WEATHER])
    assert second.output_text == "18C in Paris."
    sent = gateway.sent[1]["input"]
    assert [item["type"] for item in sent] == [
        "message",
        "reasoning",
        "message",
        "function_call",
        "function_call_output",
    ]
    assert sent[1]["encrypted_content"] == "gAAAAABor_8y"  # the signature, byte for byte
    assert sent[1]["summary"] == [{"type": "summary_text", "text": "**Planning**\n\nCall the tool."}]
    assert gateway.sent[0]["instructions"] == "Be brief." and gateway.sent[0]["store"] is False


def test_stream_helper_and_final_response() -> None:
    gateway = Gateway(replies(Reply(events=OPENAI_STREAM)))
    with gateway.client().responses.stream(model="gpt-5", input="Weather?", tools=[WEATHER]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in kinds
    assert final.output_text == "Let me check."
    reasoning, _, tool_call = final.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "gAAAA_enc"
    assert [part.text for part in reasoning.summary] == ["**Plan**\n\nCall it."]
    assert tool_call.type == "function_call" and tool_call.parsed_arguments is None
    assert json.loads(tool_call.arguments) == {"city": "Paris"}
    assert final.usage is not None and final.usage.output_tokens_details.reasoning_tokens == 16
    assert gateway.sent[0]["stream"] is True


def test_create_stream_events() -> None:
    gateway = Gateway(replies(Reply(events=OPENAI_STREAM)))
    events = list(gateway.client().responses.create(model="gpt-5", input="Weather?", stream=True))
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == "Let me check."


def test_failing_stream_has_no_final_response() -> None:
    failing = provider(
        {"type": "response.created", "response": OPENAI_RESPONSE | {"status": "in_progress", "output": []}},
        {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down."},
    )
    gateway = Gateway(replies(Reply(events=failing)))
    with gateway.client().responses.stream(model="gpt-5", input="hi") as stream:
        events = list(stream)
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            stream.get_final_response()
    assert events[-2].type == "error" and events[-2].message == "Slow down."
    assert events[-1].type == "response.failed"


@pytest.mark.parametrize(("error", "_kind", "exception"), ERRORS)
def test_provider_errors_raise_the_sdk_exception(
    error: ir.Error, _kind: str, exception: type[openai.APIStatusError]
) -> None:
    body = dumps({"error": {"message": error.message, "type": "x", "param": None, "code": None}})
    gateway = Gateway(replies(Reply(status=error.status, body=body)))
    with pytest.raises(exception) as caught:
        gateway.client().responses.create(model="gpt-5", input="hi")
    assert caught.value.status_code == error.status and error.message in caught.value.message


def test_refusal_is_a_bad_request_naming_the_parameter() -> None:
    gateway = Gateway(replies())
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().responses.create(model="gpt-5", input="hi", previous_response_id="resp_1")
    body: Any = caught.value.body
    assert body["param"] == "previous_response_id" and gateway.sent == []
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().responses.create(model="gpt-5", input="hi", tools=[{"type": "web_search"}])
    body = caught.value.body
    assert body["param"] == "tools[0]"


def test_written_sse_bytes_frame_as_named_events() -> None:
    """What the stream side writes is what the edge sends: `event:` lines matching each type."""
    translated = PAIR.request(
        dumps({"model": "gpt-5", "input": "hi", "stream": True}), ir.Hints(), created=CREATED
    )
    _, data = PAIR.stream(b"", translated.context, OPENAI_STREAM, True)
    assert data.startswith(b"event: response.created\ndata: {")
    assert data == encode_sse(
        [SseEvent(e["type"], json.dumps(e, separators=(",", ":"))) for e in _parse(data)]
    )


def _parse(data: bytes) -> list[Json]:
    return [json.loads(line[6:]) for line in data.decode().splitlines() if line.startswith("data: ")]
