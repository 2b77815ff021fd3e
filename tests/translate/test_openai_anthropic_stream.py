"""Anthropic backend stream → OpenAI client chunks: every fixture under every batching."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from ingate_translate import SseEvent
from tests.translate.support import (
    CREATED,
    DONE,
    Json,
    Pair,
    anthropic_events,
    dumps,
    openai_chunks,
    run_every_batching,
)

PAIR = Pair("openai-chat", "anthropic-messages")
MSG_ID = "msg_01XFDUDYJgAACzvnptvVoYEL"
MODEL = "claude-sonnet-4-5-20250929"


def context(include_usage: bool) -> bytes:
    body: Json = {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    return PAIR.request(dumps(body), created=CREATED).context


def start(input_tokens: int = 25, cache_read: int = 0, cache_creation: int = 0) -> Json:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_creation,
        "cache_read_input_tokens": cache_read,
        "output_tokens": 1,
    }
    message = {"id": MSG_ID, "type": "message", "role": "assistant", "content": [], "model": MODEL}
    return {
        "type": "message_start",
        "message": {**message, "stop_reason": None, "stop_sequence": None, "usage": usage},
    }


def text_block(index: int, *parts: str) -> list[Json]:
    deltas = [
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": p}}
        for p in parts
    ]
    return [
        {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        *deltas,
    ]


def tool_block(index: int, tool_id: str, name: str, *fragments: str) -> list[Json]:
    block = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
    deltas = [
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": f},
        }
        for f in fragments
    ]
    return [{"type": "content_block_start", "index": index, "content_block": block}, *deltas]


def stop(index: int) -> Json:
    return {"type": "content_block_stop", "index": index}


def message_delta(reason: str, output_tokens: int) -> Json:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens},
    }


PING: Json = {"type": "ping"}
MESSAGE_STOP: Json = {"type": "message_stop"}
THINKING = [
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "Two tools."},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "EqQBCgIYAh"},
    },
    stop(0),
]


@dataclass
class Case:
    events: list[Json]
    content: str | None = None
    tools: list[tuple[str, str, object]] = field(default_factory=list)  # (id, name, parsed arguments)
    finish: str | None = "stop"
    usage: tuple[int, int, int] = (25, 12, 0)  # prompt, completion, cached
    error: str | None = None  # the error type the client sees instead of a finish
    cache_write: int | None = None


CASES = {
    "plain_text": Case(
        [
            start(),
            *text_block(0, "Hello", ", world"),
            PING,
            stop(0),
            message_delta("end_turn", 12),
            MESSAGE_STOP,
        ],
        content="Hello, world",
    ),
    "text_then_tool": Case(
        [
            start(),
            *text_block(0, "Let me check."),
            stop(0),
            *tool_block(
                1, "toolu_01A09q90qw90lq917835lq9", "get_weather", '{"city": ', '"Paris"', ', "unit": "c"}'
            ),
            stop(1),
            message_delta("tool_use", 12),
            MESSAGE_STOP,
        ],
        content="Let me check.",
        tools=[("toolu_01A09q90qw90lq917835lq9", "get_weather", {"city": "Paris", "unit": "c"})],
        finish="tool_calls",
    ),
    "thinking_text_and_two_tools": Case(
        [
            start(),
            *THINKING,
            *text_block(1, "Checking both."),
            stop(1),
            *tool_block(2, "toolu_weather", "get_weather", '{"ci', 'ty": "Par', 'is"}'),
            stop(2),
            PING,
            *tool_block(3, "toolu_time", "get_time", "", '{"zone": ', '"Europe/Paris"}'),
            stop(3),
            message_delta("tool_use", 12),
            MESSAGE_STOP,
        ],
        content="Checking both.",
        tools=[
            ("toolu_weather", "get_weather", {"city": "Paris"}),
            ("toolu_time", "get_time", {"zone": "Europe/Paris"}),
        ],
        finish="tool_calls",
    ),
    "tool_without_arguments": Case(
        [
            start(),
            *tool_block(0, "toolu_noargs", "get_time"),
            stop(0),
            message_delta("tool_use", 12),
            MESSAGE_STOP,
        ],
        tools=[("toolu_noargs", "get_time", {})],
        finish="tool_calls",
    ),
    "cached_usage_and_length": Case(
        [
            start(input_tokens=5, cache_read=100, cache_creation=20),
            *text_block(0, "Once upon"),
            stop(0),
            message_delta("max_tokens", 9),
            MESSAGE_STOP,
        ],
        content="Once upon",
        finish="length",
        usage=(125, 9, 100),
        cache_write=20,
    ),
    "refusal": Case(
        [start(), *text_block(0, "I can't"), stop(0), message_delta("refusal", 3), MESSAGE_STOP],
        content="I can't",
        finish="content_filter",
        usage=(25, 3, 0),
    ),
    "unknown_and_repeated_events": Case(
        [
            start(),
            {"type": "future_event", "detail": 1},
            start(),
            *text_block(0, "Hi"),
            {"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": {}}},
            stop(0),
            message_delta("stop_sequence", 12),
            MESSAGE_STOP,
            {"type": "message_stop"},
        ],
        content="Hi",
    ),
    "error_event": Case(
        [
            start(),
            *text_block(0, "Hel"),
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            *text_block(0, "lo"),
        ],
        finish=None,
        error="server_error",
    ),
    "cut_before_message_delta": Case([start(), *text_block(0, "Hel")], finish=None, error="server_error"),
    "cut_after_message_delta": Case(
        [start(), *text_block(0, "Hello"), stop(0), message_delta("end_turn", 12)], content="Hello"
    ),
}


def translate(case: Case, include_usage: bool) -> list[SseEvent]:
    return run_every_batching(PAIR, context(include_usage), anthropic_events(*case.events))


def accumulate(chunks: list[ChatCompletionChunk]) -> Any:
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in chunks:
        list(state.handle_chunk(chunk))
    return state.current_completion_snapshot


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize("name", CASES)
def test_stream_translates_identically_under_every_batching(name: str, include_usage: bool) -> None:
    case = CASES[name]
    out = translate(case, include_usage)
    chunks = openai_chunks(out)
    assert len({(c.id, c.created, c.model, c.object) for c in chunks}) == 1
    assert (chunks[0].id, chunks[0].created, chunks[0].model) == (
        "chatcmpl-01XFDUDYJgAACzvnptvVoYEL",
        CREATED,
        MODEL,
    )
    roles = [c for c in chunks if c.choices and c.choices[0].delta.role is not None]
    assert len(roles) == 1 and roles[0] is chunks[0]
    assert roles[0].choices[0].delta.model_dump(exclude_unset=True) == {"role": "assistant", "content": ""}
    if case.error is not None:
        error = json.loads(out[-2].data)
        assert set(error) == {"error"} and error["error"]["type"] == case.error
        assert not any(c.choices and c.choices[0].finish_reason for c in chunks)
        return
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [case.finish]
    usage_chunks = [c for c in chunks if c.usage is not None]
    if include_usage:
        assert usage_chunks == [chunks[-1]] and chunks[-1].choices == []
        usage = chunks[-1].usage
        assert usage is not None and usage.prompt_tokens_details is not None
        prompt, completion, cached = case.usage
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
            prompt,
            completion,
            prompt + completion,
        )
        assert usage.prompt_tokens_details.cached_tokens == cached
        assert usage.prompt_tokens_details.cache_write_tokens == case.cache_write
    else:
        assert usage_chunks == []
    message = accumulate(chunks).choices[0].message
    assert (message.content or None) == case.content
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    assert [(i, n, json.loads(a)) for i, n, a in calls] == case.tools


def tool_call_deltas(out: list[SseEvent]) -> list[Json]:
    deltas: list[Json] = []
    for item in out[:-1]:
        for choice in json.loads(item.data).get("choices", []):
            deltas.extend(choice["delta"].get("tool_calls", []))
    return deltas


def test_tool_indices_count_tool_blocks_not_anthropic_blocks() -> None:
    out = translate(CASES["thinking_text_and_two_tools"], True)
    deltas = tool_call_deltas(out)
    assert [d["index"] for d in deltas] == [0, 0, 0, 0, 1, 1, 1]
    assert deltas[0] == {
        "index": 0,
        "id": "toolu_weather",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert deltas[4]["id"] == "toolu_time"
    assert all(set(d) == {"index", "function"} and set(d["function"]) == {"arguments"} for d in deltas[1:4])
    rebuilt: dict[int, str] = {}
    for d in deltas:
        rebuilt[d["index"]] = rebuilt.get(d["index"], "") + d["function"]["arguments"]
    assert {k: json.loads(v) for k, v in rebuilt.items()} == {
        0: {"city": "Paris"},
        1: {"zone": "Europe/Paris"},
    }


def test_text_then_tool_exact_output() -> None:
    out = translate(CASES["text_then_tool"], True)
    base = {"id": "chatcmpl-01XFDUDYJgAACzvnptvVoYEL", "object": "chat.completion.chunk", "created": CREATED}
    base["model"] = MODEL

    def chunk(delta: Json, finish: str | None = None) -> Json:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    def args(text: str) -> Json:
        return {"tool_calls": [{"index": 0, "function": {"arguments": text}}]}

    header: Json = {"index": 0, "id": "toolu_01A09q90qw90lq917835lq9", "type": "function"}
    header["function"] = {"name": "get_weather", "arguments": ""}
    usage: Json = {"prompt_tokens": 25, "completion_tokens": 12, "total_tokens": 37}
    usage["prompt_tokens_details"] = {"cached_tokens": 0}
    assert [json.loads(item.data) for item in out[:-1]] == [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Let me check."}),
        chunk({"tool_calls": [header]}),
        chunk(args('{"city": ')),
        chunk(args('"Paris"')),
        chunk(args(', "unit": "c"}')),
        chunk({}, "tool_calls"),
        {**base, "choices": [], "usage": usage},
    ]
    assert out[-1] == DONE


def test_error_event_becomes_an_openai_error_payload() -> None:
    out = translate(CASES["error_event"], False)
    assert out[-1] == DONE
    assert json.loads(out[-2].data) == {
        "error": {"message": "Overloaded", "type": "server_error", "param": None, "code": "overloaded_error"}
    }
    assert [json.loads(item.data)["choices"][0]["delta"] for item in out[:-2]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
    ]


def test_invalid_request_error_event_keeps_the_client_error_type() -> None:
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    out = run_every_batching(PAIR, context(False), anthropic_events(start(), error))
    assert json.loads(out[-2].data)["error"]["type"] == "invalid_request_error"


def test_cut_stream_reports_an_error_instead_of_a_finish() -> None:
    out = translate(CASES["cut_before_message_delta"], True)
    error = json.loads(out[-2].data)["error"]
    assert "ended before the message was complete" in error["message"]
    assert not any("usage" in json.loads(item.data) for item in out[:-1])


def test_stream_that_never_started() -> None:
    out = run_every_batching(PAIR, context(True), [SseEvent("ping", '{"type": "ping"}')])
    assert len(out) == 2 and out[-1] == DONE and "error" in json.loads(out[0].data)
    state = PAIR.stream_start(context(True))
    state, produced = PAIR.stream(state, [], True)
    assert [json.loads(item.data)["error"]["type"] for item in produced[:-1]] == ["server_error"]


def test_undecodable_event_data_is_skipped() -> None:
    events = [SseEvent("message_start", "not json"), *anthropic_events(*CASES["plain_text"].events)]
    assert run_every_batching(PAIR, context(True), events) == translate(CASES["plain_text"], True)
