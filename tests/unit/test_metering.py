"""Token usage from each provider's streams, and the include_usage round trip."""

import json

import pytest

from ingate_edge.metering import ask_for_stream_usage, stream_tap
from ingate_edge.streaming import StreamTransform
from ingate_edge.usage_meter import UsageMeter
from ingate_providers import FORMATS


def test_include_usage_is_asked_for_only_when_missing() -> None:
    body, injected = ask_for_stream_usage(b'{"model":"m","stream":true}')
    assert injected
    assert json.loads(body) == {"model": "m", "stream": True, "stream_options": {"include_usage": True}}
    kept, injected = ask_for_stream_usage(b'{"stream":true,"stream_options":{"include_usage":true}}')
    assert not injected
    assert kept == b'{"stream":true,"stream_options":{"include_usage":true}}'
    merged, injected = ask_for_stream_usage(b'{"stream":true,"stream_options":{"include_obfuscation":false}}')
    assert injected
    assert json.loads(merged)["stream_options"] == {"include_obfuscation": False, "include_usage": True}


OPENAI_STREAM = (
    b'data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
    b'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}\n\n'
    b"data: [DONE]\n\n"
)


async def _run(tap: StreamTransform, stream: bytes, step: int) -> bytes:
    out = b""
    for i in range(0, len(stream), step):
        out += await tap.feed(stream[i : i + step])
    return out + await tap.finish()


@pytest.mark.parametrize("step", [1, 7, 64, 10_000])
async def test_openai_stream_usage_chunk_is_removed_when_the_edge_asked(step: int) -> None:
    meter = UsageMeter()
    usage = meter.usage
    out = await _run(stream_tap(FORMATS["openai"], meter, strip_usage_chunk=True), OPENAI_STREAM, step)
    assert b'"usage"' not in out
    assert out == OPENAI_STREAM.replace(
        b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}\n\n', b""
    )
    assert (usage.input_tokens, usage.output_tokens) == (5, 1)


@pytest.mark.parametrize("step", [1, 13, 10_000])
async def test_passthrough_stream_is_untouched_and_counted(step: int) -> None:
    meter = UsageMeter()
    usage = meter.usage
    out = await _run(stream_tap(FORMATS["openai"], meter, strip_usage_chunk=False), OPENAI_STREAM, step)
    assert out == OPENAI_STREAM
    assert (usage.input_tokens, usage.output_tokens) == (5, 1)


@pytest.mark.parametrize("step", [1, 9, 10_000])
async def test_anthropic_stream_usage_from_start_and_delta(step: int) -> None:
    stream = (
        b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":12,'
        b'"output_tokens":1,"cache_read_input_tokens":2}}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"x"}}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":33}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    meter = UsageMeter()
    usage = meter.usage
    out = await _run(stream_tap(FORMATS["anthropic"], meter, strip_usage_chunk=False), stream, step)
    assert out == stream
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (14, 33, 2)


@pytest.mark.parametrize("step", [1, 5, 10_000])
async def test_ollama_ndjson_usage_from_the_done_line(step: int) -> None:
    stream = (
        b'{"message":{"content":"a"},"done":false}\n'
        b'{"message":{"content":""},"done":true,"prompt_eval_count":6,"eval_count":9}\n'
    )
    meter = UsageMeter()
    usage = meter.usage
    out = await _run(stream_tap(FORMATS["ollama"], meter, strip_usage_chunk=False), stream, step)
    assert out == stream
    assert (usage.input_tokens, usage.output_tokens) == (6, 9)


async def test_rewritten_stream_keeps_multi_line_data_events_valid() -> None:
    stream = (
        b'data: {"id":"c",\ndata: "choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'
        b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}}\n\n'
        b"data: [DONE]\n\n"
    )
    meter = UsageMeter()
    usage = meter.usage
    out = await _run(stream_tap(FORMATS["openai"], meter, strip_usage_chunk=True), stream, 5)
    assert (
        out == b'data: {"id":"c",\ndata: "choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n'
    )
    assert (usage.input_tokens, usage.output_tokens) == (2, 1)
