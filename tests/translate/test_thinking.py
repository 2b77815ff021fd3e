"""Thinking through the IR: an OpenAI chat caller sees Anthropic's thinking as `reasoning_content`
and `thinking_blocks`, and sends it back with its signatures intact; an Anthropic caller sees
an OpenAI-compatible provider's `reasoning_content` as thinking blocks. Streams are checked
with the provider's SSE bytes split at every byte offset, framed as the edge frames them."""

import json
from typing import Any

import anthropic

from ingate_translate import SseEvent, encode_sse
from tests.translate.support import (
    CREATED,
    Gateway,
    Json,
    Pair,
    Reply,
    anthropic_events,
    anthropic_stream,
    dumps,
    openai_chunks,
    openai_events,
    run_split_bytes,
)

TO_CLAUDE = Pair("openai-chat", "anthropic-messages")
TO_GPT = Pair("anthropic-messages", "openai-chat")
SIGNATURE = "EqQBCgIYAhIQ" * 8
THOUGHT = "The user greets; answer briefly."
CLAUDE_THINKING_STREAM: list[Json] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_01T",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 20, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": THOUGHT[:10]},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": THOUGHT[10:]},
    },
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": SIGNATURE}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "redacted_thinking", "data": "EmwKAhgB"},
    },
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Hello!"}},
    {"type": "content_block_stop", "index": 2},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 30},
    },
    {"type": "message_stop"},
]


def split_everywhere(pair: Pair, context: bytes, events: list[SseEvent]) -> list[SseEvent]:
    """The translated stream when the provider's bytes arrive cut at each offset in turn; all equal."""
    raw = encode_sse(events)
    outputs = [run_split_bytes(pair, context, raw, cut) for cut in range(len(raw) + 1)]
    assert all(output == outputs[0] for output in outputs)
    return outputs[0]


def claude_context() -> bytes:
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    return TO_CLAUDE.request(dumps({**body, "reasoning_effort": "medium"}), created=CREATED).context


def test_a_thinking_stream_reaches_an_openai_chat_caller_with_its_signature() -> None:
    out = split_everywhere(TO_CLAUDE, claude_context(), anthropic_events(*CLAUDE_THINKING_STREAM))
    deltas = [
        chunk.choices[0].delta.model_dump(exclude_unset=True) for chunk in openai_chunks(out) if chunk.choices
    ]
    reasoning = "".join(delta.get("reasoning_content", "") for delta in deltas)
    assert reasoning == THOUGHT
    blocks = [block for delta in deltas for block in delta.get("thinking_blocks", [])]
    # Each block whole, once its part is over: what the caller sends back with the message.
    assert blocks == [
        {"type": "thinking", "thinking": THOUGHT, "signature": SIGNATURE},
        {"type": "redacted_thinking", "data": "EmwKAhgB"},
    ]
    assert "".join(delta.get("content", "") or "" for delta in deltas) == "Hello!"


def test_the_thinking_a_caller_sends_back_reaches_anthropic_signed() -> None:
    """The round trip: answer → the caller's next request → Anthropic's request."""
    answer = {
        "id": "msg_01T",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": THOUGHT, "signature": SIGNATURE},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 30},
    }
    first = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "time?"}]}
    context = TO_CLAUDE.request(dumps(first), created=CREATED).context
    message = json.loads(TO_CLAUDE.response(context, dumps(answer)))["choices"][0]["message"]
    assert message["reasoning_content"] == THOUGHT
    follow_up = {
        **first,
        "messages": [
            *first["messages"],
            message,
            {"role": "tool", "tool_call_id": "toolu_1", "content": "noon"},
        ],
        "tools": [{"type": "function", "function": {"name": "now"}}],
    }
    sent = json.loads(TO_CLAUDE.request(dumps(follow_up), created=CREATED).body)
    assert sent["messages"][1]["content"] == answer["content"]
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "noon"}
    ]


def test_the_openai_sdk_keeps_the_thinking_fields() -> None:
    client = Gateway(TO_CLAUDE, lambda _: Reply(events=anthropic_events(*CLAUDE_THINKING_STREAM))).openai()
    chunks = list(
        client.chat.completions.create(
            model="claude-sonnet-4-5", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    extra: list[Any] = [
        getattr(chunk.choices[0].delta, "thinking_blocks", None) for chunk in chunks if chunk.choices
    ]
    assert any(blocks for blocks in extra)


def gpt_chunk(delta: Json, finish: str | None = None) -> Json:
    return {
        "id": "chatcmpl-R1",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "deepseek-r1",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def test_an_openai_compatible_providers_reasoning_is_an_anthropic_thinking_block() -> None:
    body = {
        "model": "deepseek-r1",
        "max_tokens": 3000,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    context = TO_GPT.request(dumps({**body, "thinking": {"type": "enabled", "budget_tokens": 2048}})).context
    events = openai_events(
        gpt_chunk({"role": "assistant", "content": ""}),
        gpt_chunk({"reasoning_content": "Think"}),
        gpt_chunk({"reasoning": "ing."}),  # what some servers call it
        gpt_chunk({"content": "Hi!"}),
        gpt_chunk({}, finish="stop"),
    )
    out = split_everywhere(TO_GPT, context, events)
    parsed = anthropic_stream(out)
    starts = [event.content_block.type for event in parsed if event.type == "content_block_start"]
    assert starts == ["thinking", "text"]
    thinking = "".join(
        event.delta.thinking
        for event in parsed
        if event.type == "content_block_delta" and event.delta.type == "thinking_delta"
    )
    assert thinking == "Thinking."


def test_the_anthropic_sdk_assembles_the_thinking_block() -> None:
    events = openai_events(
        gpt_chunk({"reasoning_content": "Hmm."}), gpt_chunk({"content": "Yes."}, finish="stop")
    )
    client = Gateway(TO_GPT, lambda _: Reply(events=events)).anthropic()
    with client.messages.stream(
        model="deepseek-r1", max_tokens=3000, messages=[{"role": "user", "content": "?"}]
    ) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    assert isinstance(final.content[0], anthropic.types.ThinkingBlock) and final.content[0].thinking == "Hmm."


def test_a_non_stream_reasoning_answer_is_a_thinking_block() -> None:
    body = {"model": "deepseek-r1", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
    context = TO_GPT.request(dumps(body)).context
    answer = {
        "id": "chatcmpl-R2",
        "object": "chat.completion",
        "created": CREATED,
        "model": "deepseek-r1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!", "reasoning_content": "Greet."},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 9,
            "total_tokens": 14,
            "completion_tokens_details": {"reasoning_tokens": 4},
        },
    }
    message = json.loads(TO_GPT.response(context, dumps(answer)))
    assert message["content"] == [
        {"type": "thinking", "thinking": "Greet.", "signature": ""},
        {"type": "text", "text": "Hi!"},
    ]
