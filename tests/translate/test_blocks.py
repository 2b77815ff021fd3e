"""Sequencing interleaved OpenAI deltas into Anthropic blocks: no fragment is dropped or misassigned."""

import json
import random

import pytest

from ingate_translate import SseEvent
from tests.translate.support import (
    Json,
    Pair,
    anthropic_stream,
    dumps,
    openai_events,
    run_every_batching,
    run_stream,
)

PAIR = Pair("anthropic-messages", "openai-chat")
CONTEXT = PAIR.request(
    dumps({"model": "gpt-4o", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}]})
).context
TOOLS = {
    0: ("call_a", "alpha", {"city": "Paris", "days": [1, 2, 3]}),
    1: ("call_b", "beta", {"zone": "Europe/Paris"}),
    2: ("call_c", "gamma", {"query": 'a "quoted" string with unicode: é ✓', "n": 10}),
}


def chunk(delta: Json, finish: str | None = None) -> Json:
    return {
        "id": "chatcmpl-seq",
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def tool_delta(index: int, fragment: str, header: bool) -> Json:
    call: Json = {"index": index, "function": {"arguments": fragment}}
    if header:
        call["id"], call["type"] = TOOLS[index][0], "function"
        call["function"]["name"] = TOOLS[index][1]
    return chunk({"tool_calls": [call]})


def blocks_of(out: list[SseEvent]) -> list[tuple[str, str, object]]:
    """(type, id or text, input) per block, from the events the client received."""
    blocks: list[tuple[str, str, object]] = []
    parts: list[str] = []
    for item in out:
        data = json.loads(item.data)
        if item.event == "content_block_start":
            block = data["content_block"]
            blocks.append((block["type"], block.get("id", ""), block.get("name", "")))
            parts.append("")
        elif item.event == "content_block_delta":
            delta = data["delta"]
            parts[data["index"]] += delta.get("text", delta.get("partial_json", ""))
    result: list[tuple[str, str, object]] = []
    for (kind, block_id, name), text in zip(blocks, parts, strict=True):
        result.append(
            ("text", text, None) if kind == "text" else (str(name), block_id, json.loads(text or "{}"))
        )
    return result


def random_interleaving(seed: int) -> tuple[list[Json], list[int]]:
    """Three tool calls cut into fragments and interleaved at random: (chunks, first-seen order)."""
    rng = random.Random(seed)
    queues: dict[int, list[str]] = {}
    for index, (_, _, arguments) in TOOLS.items():
        text = json.dumps(arguments, ensure_ascii=False)
        cuts = sorted(rng.sample(range(1, len(text)), k=rng.randint(1, 5)))
        queues[index] = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    chunks: list[Json] = [chunk({"role": "assistant", "content": ""})]
    seen: list[int] = []
    while any(queues.values()):
        index = rng.choice([i for i, q in queues.items() if q])
        chunks.append(tool_delta(index, queues[index].pop(0), header=index not in seen))
        if index not in seen:
            seen.append(index)
    return [*chunks, chunk({}, "tool_calls")], seen


@pytest.mark.parametrize("seed", range(40))
def test_random_interleavings_keep_every_fragment_with_its_call(seed: int) -> None:
    chunks, seen = random_interleaving(seed)
    events = openai_events(*chunks)
    out = run_stream(PAIR, CONTEXT, events, [len(events)])
    anthropic_stream(out)
    assert blocks_of(out) == [(TOOLS[i][1], TOOLS[i][0], TOOLS[i][2]) for i in seen]
    if seed < 4:  # the full batching sweep is quadratic; a few seeds suffice
        assert run_every_batching(PAIR, CONTEXT, events) == out


def test_a_call_waits_for_its_name_and_text_waits_behind_it() -> None:
    events = openai_events(
        chunk({"content": "Hi. "}),
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "function": {"arguments": '{"ci'}}]}),
        chunk({"content": "More text."}),
        chunk({"tool_calls": [{"index": 0, "function": {"name": "alpha", "arguments": 'ty": "Paris"}'}}]}),
        chunk({}, "tool_calls"),
    )
    out = run_every_batching(PAIR, CONTEXT, events)
    anthropic_stream(out)
    assert blocks_of(out) == [
        ("text", "Hi. ", None),
        ("alpha", "call_a", {"city": "Paris"}),
        ("text", "More text.", None),
    ]
    # The text block stays open, and streams, until the named tool call can start.
    kinds = [item.event for item in out]
    assert kinds[:4] == ["message_start", "content_block_start", "content_block_delta", "content_block_stop"]


def test_call_without_id_or_name_is_still_delivered() -> None:
    events = openai_events(
        chunk(
            {"tool_calls": [{"index": 0, "id": "call_a", "function": {"name": "alpha", "arguments": "{}"}}]}
        ),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"x": 1}'}}]}),
        chunk({}, "tool_calls"),
    )
    out = run_every_batching(PAIR, CONTEXT, events)
    anthropic_stream(out)
    assert blocks_of(out) == [("alpha", "call_a", {}), ("", "chatcmpl-seq_1", {"x": 1})]


def test_text_streams_live_until_a_tool_call_starts() -> None:
    events = openai_events(chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop"))
    state = PAIR.stream_start(CONTEXT)
    state, first = PAIR.stream(state, events[:1], False)
    assert [item.event for item in first] == ["message_start", "content_block_start", "content_block_delta"]
    state, second = PAIR.stream(state, events[1:2], False)
    assert [(item.event, json.loads(item.data)["delta"]["text"]) for item in second] == [
        ("content_block_delta", "b")
    ]
