"""Official SDKs through the registry's Responses pairs: the openai SDK's Responses client
reaching an Anthropic provider, and the chat and Anthropic SDKs reaching a Responses-only
provider — tool loops with thinking, streamed and not, and the errors each SDK must raise."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from ingate_translate import TranslatedRequest, ir
from tests.translate.support import Gateway, Json, Pair, Reply, anthropic_events, dumps
from tests.translate.test_responses_response import ERRORS, OPENAI_RESPONSE
from tests.translate.test_responses_stream_read import OPENAI_STREAM, provider

WEATHER: Any = {
    "type": "function",
    "name": "weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def replies(*items: Reply) -> Callable[[TranslatedRequest], Reply]:
    queue: Iterator[Reply] = iter(items)
    return lambda _: next(queue)


def sent(gateway: Gateway, number: int = -1) -> Json:
    body: Json = json.loads(gateway.requests[number].body)
    return body


# -- a Responses caller, an Anthropic provider ---------------------------------------------

THINKING = {"type": "thinking", "thinking": "Paris, so metric.", "signature": "EqQBCkYIBxgCKkB+/=="}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/=="}


def claude(*content: Json, stop: str) -> Reply:
    usage = {"input_tokens": 30, "output_tokens": 12, "cache_read_input_tokens": 100}
    body = {
        "id": "msg_01Q",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": list(content),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }
    return Reply(body=dumps(body))


def test_responses_tool_loop_against_anthropic() -> None:
    call = {"type": "tool_use", "id": "toolu_01", "name": "weather", "input": {"city": "Paris"}}
    answers = replies(
        claude(THINKING, REDACTED, {"type": "text", "text": "Checking."}, call, stop="tool_use"),
        claude({"type": "text", "text": "18C in Paris."}, stop="end_turn"),
    )
    gateway = Gateway(Pair("openai-responses", "anthropic-messages"), answers)
    client = gateway.openai()
    reasoning: Any = {"effort": "low", "summary": "auto"}
    first = client.responses.create(
        model="claude-sonnet-4-5",
        instructions="Be brief.",
        input="Weather in Paris?",
        tools=[WEATHER],
        reasoning=reasoning,
        max_output_tokens=4000,
    )
    assert (first.id, first.model, first.status, first.output_text) == (
        "resp_01Q",
        "claude-sonnet-4-5",
        "completed",
        "Checking.",
    )
    assert [item.type for item in first.output] == ["reasoning", "reasoning", "message", "function_call"]
    assert first.usage is not None
    assert (first.usage.input_tokens, first.usage.input_tokens_details.cached_tokens) == (130, 100)
    request = sent(gateway, 0)
    assert request["system"] == "Be brief." and request["thinking"]["type"] == "enabled"
    assert request["tools"][0]["name"] == "weather" and request["max_tokens"] == 4000

    tool_call = first.output[3]
    assert tool_call.type == "function_call"
    history: Any = [
        {"role": "user", "content": "Weather in Paris?"},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": tool_call.call_id, "output": "18C"},
    ]
    second = client.responses.create(
        model="claude-sonnet-4-5", input=history, tools=[WEATHER], reasoning=reasoning
    )
    assert second.output_text == "18C in Paris."
    turn = sent(gateway)["messages"][1]
    assert turn == {
        "role": "assistant",
        "content": [THINKING, REDACTED, {"type": "text", "text": "Checking."}, call],
    }
    assert sent(gateway)["messages"][2]["content"][0]["tool_use_id"] == "toolu_01"


def test_responses_stream_against_anthropic() -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_01S",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 20, "output_tokens": 1},
        },
    }
    events = anthropic_events(
        start,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hm"}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "SIG=="},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi "}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "there."}},
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    )
    gateway = Gateway(Pair("openai-responses", "anthropic-messages"), replies(Reply(events=events)))
    with gateway.openai().responses.stream(model="claude-sonnet-4-5", input="hi") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert deltas == ["Hi ", "there."] and final.output_text == "Hi there."
    reasoning = final.output[0]
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "SIG=="
    assert [part.text for part in reasoning.summary] == ["Hm"]
    assert final.usage is not None and (final.usage.input_tokens, final.usage.output_tokens) == (20, 9)


@pytest.mark.parametrize(("error", "_kind", "exception"), ERRORS)
def test_anthropic_errors_raise_the_openai_exception(
    error: ir.Error, _kind: str, exception: type[openai.APIStatusError]
) -> None:
    body = dumps({"type": "error", "error": {"type": "api_error", "message": error.message}})
    gateway = Gateway(
        Pair("openai-responses", "anthropic-messages"), replies(Reply(status=error.status, body=body))
    )
    with pytest.raises(exception) as caught:
        gateway.openai().responses.create(model="claude-sonnet-4-5", input="hi")
    assert caught.value.status_code == error.status and error.message in caught.value.message


def test_anthropic_stream_failure_ends_without_a_final_response() -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "c",
            "usage": {"input_tokens": 1, "output_tokens": 0},
        },
    }
    failure = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events = anthropic_events(start, failure)
    gateway = Gateway(Pair("openai-responses", "anthropic-messages"), replies(Reply(events=events)))
    with gateway.openai().responses.stream(model="c", input="hi") as stream:
        seen = list(stream)
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            stream.get_final_response()
    assert seen[-2].type == "error" and seen[-2].message == "Overloaded"
    assert seen[-1].type == "response.failed"


def test_refusals_are_bad_requests_naming_the_parameter() -> None:
    gateway = Gateway(Pair("openai-responses", "anthropic-messages"), replies())
    client = gateway.openai()
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="c", input="hi", previous_response_id="resp_1")
    body: Any = caught.value.body
    assert body["param"] == "previous_response_id" and "whole conversation" in body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="c", input="hi", tools=[{"type": "web_search"}])
    body = caught.value.body
    assert body["param"] == "tools[0]"
    assert gateway.requests == []


# -- callers of other shapes, a Responses provider ------------------------------------------


def test_chat_tool_loop_against_responses() -> None:
    final = {**OPENAI_RESPONSE, "output": [OPENAI_RESPONSE["output"][2]]}
    answers = replies(Reply(body=dumps(OPENAI_RESPONSE)), Reply(body=dumps(final)))
    gateway = Gateway(Pair("openai-chat", "openai-responses"), answers)
    client = gateway.openai()
    messages: Any = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"}]
    tools: Any = [{"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}]
    first = client.chat.completions.create(
        model="gpt-5", messages=messages, tools=tools, reasoning_effort="low"
    )
    reply = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and reply.content == "Let me check."
    assert reply.tool_calls is not None and reply.tool_calls[0].id == "call_abc"
    request = sent(gateway, 0)
    assert (request["instructions"], request["reasoning"]["effort"], request["store"]) == (
        "Be brief.",
        "low",
        False,
    )
    assert request["include"] == ["reasoning.encrypted_content"]

    result = {"role": "tool", "tool_call_id": "call_abc", "content": "18C"}
    history: Any = [*messages, reply.model_dump(exclude_none=True), result]
    client.chat.completions.create(model="gpt-5", messages=history, tools=tools)
    items = sent(gateway)["input"]
    assert [item["type"] for item in items] == [
        "message",
        "reasoning",
        "message",
        "function_call",
        "function_call_output",
    ]
    assert items[1]["encrypted_content"] == "gAAAAABor_8y"  # the signature the chat caller kept


def test_chat_stream_against_responses() -> None:
    gateway = Gateway(Pair("openai-chat", "openai-responses"), replies(Reply(events=OPENAI_STREAM)))
    chunks = list(
        gateway.openai().chat.completions.create(
            model="gpt-5",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Let me check."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 30


def test_anthropic_against_responses() -> None:
    gateway = Gateway(
        Pair("anthropic-messages", "openai-responses"), replies(Reply(body=dumps(OPENAI_RESPONSE)))
    )
    message = gateway.anthropic().messages.create(
        model="gpt-5",
        max_tokens=1000,
        messages=[{"role": "user", "content": "Weather?"}],
        thinking={"type": "enabled", "budget_tokens": 10000},
    )
    assert [block.type for block in message.content] == ["thinking", "text", "tool_use"]
    thinking = message.content[0]
    assert thinking.type == "thinking" and thinking.signature == "gAAAAABor_8y"
    assert message.stop_reason == "tool_use"
    assert sent(gateway)["reasoning"] == {"effort": "high", "summary": "auto"}


def test_anthropic_stream_against_responses() -> None:
    failing = provider(
        {"type": "response.created", "response": {**OPENAI_RESPONSE, "status": "in_progress", "output": []}},
        {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down."},
    )
    for events, ends in ((OPENAI_STREAM, "tool_use"), (failing, None)):
        gateway = Gateway(Pair("anthropic-messages", "openai-responses"), replies(Reply(events=events)))
        with gateway.anthropic().messages.stream(
            model="gpt-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            if ends is None:
                with pytest.raises(Exception, match="Slow down"):
                    stream.get_final_message()
                continue
            final = stream.get_final_message()
        assert [block.type for block in final.content] == ["thinking", "text", "tool_use"]
        assert final.stop_reason == ends
