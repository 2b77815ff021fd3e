"""OpenAI backend chunks → Anthropic client events: every fixture under every batching,
then through the Anthropic SDK's own stream accumulator."""

import json
from dataclasses import dataclass
from typing import Any

import anthropic
import pytest

from ingate_translate import SseEvent, TranslatedRequest
from tests.translate.support import (
    Gateway,
    Json,
    Pair,
    Reply,
    anthropic_stream,
    dumps,
    openai_events,
    run_every_batching,
)

PAIR = Pair("anthropic-messages", "openai-chat")
CMPL_ID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
MODEL = "gpt-4o-2024-08-06"
REQUEST: Json = {
    "model": "gpt-4o",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Weather and time in Paris?"}],
}
CONTEXT = PAIR.request(dumps({**REQUEST, "stream": True})).context


def chunk(delta: Json, finish: str | None = None) -> Json:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {
        "id": CMPL_ID,
        "object": "chat.completion.chunk",
        "created": 1727000000,
        "model": MODEL,
        "system_fingerprint": "fp_50cad350e4",
        "choices": [choice],
        "usage": None,
    }


ROLE = chunk({"role": "assistant", "content": "", "refusal": None})


def text(value: str) -> Json:
    return chunk({"content": value})


def call(index: int, call_id: str, name: str | None, arguments: str = "") -> Json:
    function = {"arguments": arguments} if name is None else {"name": name, "arguments": arguments}
    return chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function", "function": function}]})


def args(index: int, fragment: str) -> Json:
    return chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})


def finish(reason: str) -> Json:
    return chunk({}, reason)


def usage(prompt: int, completion: int, cached: int = 0) -> Json:
    counts = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
    }
    return {**chunk({}), "choices": [], "usage": counts}


WEATHER = ("call_weather", "get_weather", {"city": "Paris"})
TIME = ("call_time", "get_time", {"zone": "Europe/Paris"})


@dataclass
class Case:
    events: list[SseEvent]
    blocks: list[object]  # a str for a text block, an (id, name, input) tuple for a tool_use block
    stop: str = "end_turn"
    usage: tuple[int, int, int] | None = (20, 9, 0)  # input, output, cache read
    error: str | None = None


def tool_fragments(index: int, tool: tuple[str, str, Json], cut: int) -> list[Json]:
    text_args = json.dumps(tool[2])
    return [call(index, tool[0], tool[1]), args(index, text_args[:cut]), args(index, text_args[cut:])]


CASES = {
    "plain_text": Case(
        openai_events(ROLE, text("Hello"), text(", world"), finish("stop"), usage(20, 9)), ["Hello, world"]
    ),
    "text_then_tool": Case(
        openai_events(
            ROLE, text("Let me check."), *tool_fragments(0, WEATHER, 5), finish("tool_calls"), usage(20, 9)
        ),
        ["Let me check.", WEATHER],
        stop="tool_use",
    ),
    "parallel_tools": Case(
        openai_events(
            ROLE,
            *tool_fragments(0, WEATHER, 3),
            *tool_fragments(1, TIME, 9),
            finish("tool_calls"),
            usage(20, 9),
        ),
        [WEATHER, TIME],
        stop="tool_use",
    ),
    "interleaved_fragments": Case(
        openai_events(
            ROLE,
            text("Both:"),
            call(0, "call_weather", "get_weather", '{"ci'),
            call(1, "call_time", "get_time"),
            args(1, '{"zone": "Eur'),
            args(0, 'ty": '),
            args(1, 'ope/Paris"}'),
            args(0, '"Paris"}'),
            finish("tool_calls"),
            usage(20, 9),
        ),
        ["Both:", WEATHER, TIME],
        stop="tool_use",
    ),
    "name_arrives_after_id": Case(
        openai_events(
            ROLE,
            call(0, "call_weather", None),
            chunk({"tool_calls": [{"index": 0, "function": {"name": "get_weather"}}]}),
            args(0, '{"city": "Paris"}'),
            finish("tool_calls"),
            usage(20, 9),
        ),
        [WEATHER],
        stop="tool_use",
    ),
    "id_repeated_in_every_fragment": Case(
        openai_events(
            ROLE,
            call(0, "call_weather", "get_weather", '{"city": '),
            call(0, "call_weather", None, '"Paris"}'),
            finish("tool_calls"),
            usage(20, 9),
        ),
        [WEATHER],
        stop="tool_use",
    ),
    "text_after_tool": Case(
        openai_events(
            ROLE, *tool_fragments(0, WEATHER, 4), text("Done."), finish("tool_calls"), usage(20, 9)
        ),
        [WEATHER, "Done."],
        stop="tool_use",
    ),
    "stop_reported_with_tool_calls": Case(
        openai_events(ROLE, *tool_fragments(0, WEATHER, 4), finish("stop"), usage(20, 9)),
        [WEATHER],
        stop="tool_use",
    ),
    "no_usage_chunk": Case(openai_events(ROLE, text("Hi"), finish("stop")), ["Hi"], usage=None),
    "cached_usage_and_length": Case(
        openai_events(ROLE, text("Once"), finish("length"), usage(100, 9, cached=60)),
        ["Once"],
        stop="max_tokens",
        usage=(40, 9, 60),
    ),
    "refusal": Case(
        openai_events(
            ROLE, chunk({"refusal": "I can't "}), chunk({"refusal": "help."}), finish("stop"), usage(20, 9)
        ),
        ["I can't help."],
        stop="refusal",
    ),
    "content_filter": Case(
        openai_events(ROLE, text("Hm"), finish("content_filter"), usage(20, 9)), ["Hm"], "refusal"
    ),
    "empty_message": Case(openai_events(ROLE, finish("stop"), usage(20, 9)), []),
    "cut_after_finish_reason": Case(
        openai_events(ROLE, text("Hi"), finish("stop"), done=False), ["Hi"], usage=None
    ),
    "cut_before_finish_reason": Case(openai_events(ROLE, text("Hi"), done=False), [], error="api_error"),
    "done_without_chunks": Case(openai_events(), [], error="api_error"),
    "error_payload": Case(
        openai_events(
            ROLE,
            text("Hi"),
            {"error": {"message": "The server had an error", "type": "server_error"}},
            text("x"),
        ),
        [],
        error="api_error",
    ),
    "rate_limited": Case(
        openai_events({"error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}),
        [],
        error="rate_limit_error",
    ),
    "garbage_and_other_choices_skipped": Case(
        [
            SseEvent("", "not json"),
            *openai_events(
                ROLE,
                {**text("x"), "choices": [{"index": 1, "delta": {"content": "x"}}]},
                text("Hi"),
                finish("stop"),
                usage(20, 9),
            ),
        ],
        ["Hi"],
    ),
}


def final_message(events: list[SseEvent]) -> anthropic.types.Message:
    """The message the Anthropic SDK's stream helper assembles from the translated stream."""
    gateway = Gateway(PAIR, lambda _: Reply(events=events))
    with gateway.anthropic().messages.stream(**REQUEST) as stream:
        return stream.get_final_message()


def block_summary(message: anthropic.types.Message) -> list[object]:
    summary: list[object] = []
    for block in message.content:
        if block.type == "text":
            summary.append(block.text)
        else:
            assert block.type == "tool_use"
            summary.append((block.id, block.name, block.input))
    return summary


@pytest.mark.parametrize("name", CASES)
def test_stream_translates_identically_under_every_batching(name: str) -> None:
    case = CASES[name]
    out = run_every_batching(PAIR, CONTEXT, case.events)
    events = anthropic_stream(out)
    if case.error is not None:
        error = json.loads(out[-1].data)
        assert out[-1].event == "error" and error["error"]["type"] == case.error
        with pytest.raises(anthropic.APIStatusError) as raised:
            final_message(case.events)
        assert raised.value.body == error
        return
    start = events[0]
    assert start.type == "message_start"
    assert (start.message.id, start.message.model) == ("msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT", MODEL)
    message = final_message(case.events)
    assert block_summary(message) == case.blocks
    assert (message.stop_reason, message.stop_sequence) == (case.stop, None)
    counts = message.usage
    if case.usage is None:
        assert (counts.input_tokens, counts.output_tokens) == (0, 0)
    else:
        assert (counts.input_tokens, counts.output_tokens, counts.cache_read_input_tokens) == case.usage


def test_interleaved_fragments_exact_events() -> None:
    out = run_every_batching(PAIR, CONTEXT, CASES["interleaved_fragments"].events)

    def delta(index: int, kind: str, value: str) -> Json:
        key = "text" if kind == "text_delta" else "partial_json"
        return {"type": "content_block_delta", "index": index, "delta": {"type": kind, key: value}}

    def tool(index: int, tool_id: str, name: str) -> Json:
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
        return {"type": "content_block_start", "index": index, "content_block": block}

    message: Json = {"id": "msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT", "type": "message", "role": "assistant"}
    message |= {"content": [], "model": MODEL, "stop_reason": None, "stop_sequence": None}
    message["usage"] = {"input_tokens": 0, "output_tokens": 0}
    expected: list[Json] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        delta(0, "text_delta", "Both:"),
        {"type": "content_block_stop", "index": 0},
        tool(1, "call_weather", "get_weather"),
        delta(1, "input_json_delta", '{"ci'),
        delta(1, "input_json_delta", 'ty": '),
        delta(1, "input_json_delta", '"Paris"}'),
        {"type": "content_block_stop", "index": 1},
        tool(2, "call_time", "get_time"),
        delta(2, "input_json_delta", '{"zone": "Europe/Paris"}'),
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {
                "output_tokens": 9,
                "input_tokens": 20,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        },
        {"type": "message_stop"},
    ]
    assert [(item.event, json.loads(item.data)) for item in out] == [(e["type"], e) for e in expected]


def test_streamed_request_asks_for_usage() -> None:
    seen: list[TranslatedRequest] = []

    def reply(request: TranslatedRequest) -> Reply:
        seen.append(request)
        return Reply(events=CASES["plain_text"].events)

    client = Gateway(PAIR, reply).anthropic()
    streamed: Any = client.messages.create(**REQUEST, stream=True)
    kinds = [event.type for event in streamed]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    body = json.loads(seen[0].body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert seen[0].stream and seen[0].path == "/chat/completions"
