"""Truth table, token side: the providers' own usage payloads (as their docs show them, whole
bodies and whole stream sequences) and the tokens of each kind Ingate must count from them.

Streams go through the edge's stream taps, cut at arbitrary byte boundaries, then settle as the
edge settles them: a stream whose report is missing (or half there) is estimated, and says so.
"""

import json
from typing import Any

import msgspec
import pytest

from ingate_edge.metering import stream_tap
from ingate_edge.usage_meter import UsageMeter
from ingate_providers import FORMATS, Format, Usage

Json = dict[str, Any]


def sse(*events: tuple[str, Json] | Json | str) -> bytes:
    """An SSE stream: (event name, data) pairs, bare data objects, or raw data ("[DONE]")."""
    out = b""
    for event in events:
        if isinstance(event, tuple):
            name, data = event
            out += f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        else:
            out += f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode()
    return out


def ndjson(*lines: Json) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


# -- whole bodies ---------------------------------------------------------------

BODIES: list[tuple[str, Format, Json, Usage]] = [
    (
        "openai chat, the API reference's example",
        "openai",
        {
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
        },
        Usage(input_tokens=19, output_tokens=10),
    ),
    (
        "openai chat, the prompt caching guide's cache hit",
        "openai",
        {
            "usage": {
                "prompt_tokens": 2006,
                "completion_tokens": 300,
                "total_tokens": 2306,
                "prompt_tokens_details": {"cached_tokens": 1920},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            }
        },
        Usage(input_tokens=2006, output_tokens=300, cache_read_tokens=1920),
    ),
    (
        "openai chat, a reasoning model",
        "openai",
        {
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 1843,
                "total_tokens": 1852,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 1600, "audio_tokens": 0},
            }
        },
        Usage(input_tokens=9, output_tokens=1843, reasoning_tokens=1600),
    ),
    (
        "openai responses, the reasoning guide's example",
        "openai",
        {
            "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
            "object": "response",
            "status": "completed",
            "usage": {
                "input_tokens": 75,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 1186,
                "output_tokens_details": {"reasoning_tokens": 1024},
                "total_tokens": 1261,
            },
        },
        Usage(input_tokens=75, output_tokens=1186, reasoning_tokens=1024),
    ),
    (
        "openai responses, cached input",
        "openai",
        {
            "object": "response",
            "usage": {
                "input_tokens": 1536,
                "input_tokens_details": {"cached_tokens": 1280},
                "output_tokens": 42,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 1578,
            },
        },
        Usage(input_tokens=1536, output_tokens=42, cache_read_tokens=1280),
    ),
    (
        "anthropic, the prompt caching docs' usage (input excludes the cache)",
        "anthropic",
        {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": "Hi"}],
            "usage": {
                "input_tokens": 50,
                "cache_read_input_tokens": 100000,
                "cache_creation_input_tokens": 248,
                "output_tokens": 503,
            },
        },
        Usage(input_tokens=100298, output_tokens=503, cache_read_tokens=100000, cache_write_tokens=248),
    ),
    (
        "anthropic, cache writes by duration (1-hour and 5-minute)",
        "anthropic",
        {
            "type": "message",
            "usage": {
                "input_tokens": 2048,
                "cache_read_input_tokens": 1800,
                "cache_creation_input_tokens": 248,
                "output_tokens": 503,
                "cache_creation": {"ephemeral_1h_input_tokens": 100, "ephemeral_5m_input_tokens": 148},
            },
        },
        Usage(
            input_tokens=4096,
            output_tokens=503,
            cache_read_tokens=1800,
            cache_write_tokens=248,
            cache_write_1h_tokens=100,
        ),
    ),
    (
        "anthropic, cache writes by duration only",
        "anthropic",
        {
            "type": "message",
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "cache_creation": {"ephemeral_1h_input_tokens": 30, "ephemeral_5m_input_tokens": 20},
            },
        },
        Usage(input_tokens=60, output_tokens=5, cache_write_tokens=50, cache_write_1h_tokens=30),
    ),
    (
        "ollama chat",
        "ollama",
        {
            "model": "llama3.2",
            "created_at": "2023-12-12T14:13:43.416799Z",
            "message": {"role": "assistant", "content": "Hello! How are you today?"},
            "done": True,
            "total_duration": 5191566416,
            "load_duration": 2154458,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 383809000,
            "eval_count": 298,
            "eval_duration": 4799921000,
        },
        Usage(input_tokens=26, output_tokens=298),
    ),
    (
        "ollama embed",
        "ollama",
        {
            "model": "all-minilm",
            "embeddings": [[0.010071029, -0.0017594862, 0.05007221]],
            "total_duration": 14143917,
            "load_duration": 1019500,
            "prompt_eval_count": 8,
        },
        Usage(input_tokens=8),
    ),
]


@pytest.mark.parametrize(
    ("fmt", "body", "expected"), [case[1:] for case in BODIES], ids=[c[0] for c in BODIES]
)
def test_bodies(fmt: Format, body: Json, expected: Usage) -> None:
    meter = UsageMeter()
    meter.read_body(FORMATS[fmt], json.dumps(body).encode())
    meter.estimate_missing(request_bytes=1000)  # a whole answer is never estimated
    assert meter.usage == expected


# -- whole streams --------------------------------------------------------------

_CHUNK = {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o"}
_CHAT_TEXT = (
    {
        **_CHUNK,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
    },
    {**_CHUNK, "choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": None}]},
    {**_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
)
_CHAT_USAGE = {
    **_CHUNK,
    "choices": [],
    "usage": {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920},
        "completion_tokens_details": {"reasoning_tokens": 128},
    },
}
_RESPONSE = {"id": "resp_1", "object": "response", "model": "o4-mini", "output": []}
_RESPONSES_USAGE = {
    "input_tokens": 75,
    "input_tokens_details": {"cached_tokens": 64},
    "output_tokens": 1186,
    "output_tokens_details": {"reasoning_tokens": 1024},
    "total_tokens": 1261,
}


def responses_stream(last: str, usage: Json | None) -> bytes:
    return sse(
        ("response.created", {"type": "response.created", "response": {**_RESPONSE, "usage": None}}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Hello there"}),
        ("response.output_text.done", {"type": "response.output_text.done", "text": "Hello there"}),
        (last, {"type": last, "response": {**_RESPONSE, "usage": usage}}),
    )


def anthropic_stream(delta_usage: Json | None, start_usage: Json | None = None) -> bytes:
    """The streaming docs' sequence; `delta_usage` None: cut off before message_delta."""
    start = start_usage or {"input_tokens": 25, "output_tokens": 1}
    events: list[tuple[str, Json]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": "claude-opus-4-6",
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start,
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        ),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    if delta_usage is not None:
        events += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": delta_usage,
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    return sse(*events)


_OLLAMA_DONE = {
    "model": "llama3.2",
    "created_at": "2023-08-04T19:22:45.499127Z",
    "message": {"role": "assistant", "content": ""},
    "done": True,
    "done_reason": "stop",
    "total_duration": 4883583458,
    "load_duration": 1334875,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 342546000,
    "eval_count": 282,
    "eval_duration": 4535599000,
}
_OLLAMA_WORDS = [
    {"model": "llama3.2", "message": {"role": "assistant", "content": word}, "done": False}
    for word in ("The", " sky", " is", " blue")
]
_CACHED_START = {
    "input_tokens": 5,
    "cache_creation_input_tokens": 1000,
    "cache_read_input_tokens": 4000,
    "cache_creation": {"ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 600},
    "output_tokens": 1,
}
# What a stream starting with _CACHED_START and ending with 15 output tokens used.
_CACHED_USAGE = Usage(
    input_tokens=5005,
    output_tokens=15,
    cache_read_tokens=4000,
    cache_write_tokens=1000,
    cache_write_1h_tokens=600,
)
# What a 400-byte request and the relayed text are estimated as, at 4 bytes a token rounded up:
# 100 tokens; "Hello" 2, "Hello!" 2, "Hello there" 3, "The sky is blue" 4.
REQUEST_BYTES = 400

STREAMS: list[tuple[str, Format, bytes, Usage]] = [
    (
        "openai chat, the final usage chunk",
        "openai",
        sse(*_CHAT_TEXT, _CHAT_USAGE, "[DONE]"),
        Usage(input_tokens=2006, output_tokens=300, cache_read_tokens=1920, reasoning_tokens=128),
    ),
    (
        "openai chat without a usage chunk: estimated",
        "openai",
        sse(*_CHAT_TEXT, "[DONE]"),
        Usage(input_tokens=100, output_tokens=2, estimated=True),
    ),
    (
        "openai responses, response.completed",
        "openai",
        responses_stream("response.completed", _RESPONSES_USAGE),
        Usage(input_tokens=75, output_tokens=1186, cache_read_tokens=64, reasoning_tokens=1024),
    ),
    (
        "openai responses, response.incomplete carries usage too",
        "openai",
        responses_stream("response.incomplete", _RESPONSES_USAGE),
        Usage(input_tokens=75, output_tokens=1186, cache_read_tokens=64, reasoning_tokens=1024),
    ),
    (
        "openai responses, response.failed without usage: estimated",
        "openai",
        responses_stream("response.failed", None),
        Usage(input_tokens=100, output_tokens=3, estimated=True),
    ),
    (
        "anthropic, the streaming docs' sequence",
        "anthropic",
        anthropic_stream({"output_tokens": 15}),
        Usage(input_tokens=25, output_tokens=15),
    ),
    (
        "anthropic, message_delta repeating the input and cache counts is counted once",
        "anthropic",
        anthropic_stream({**_CACHED_START, "output_tokens": 15}, _CACHED_START),
        _CACHED_USAGE,
    ),
    (
        "anthropic, message_delta with only the cumulative output keeps message_start's cache counts",
        "anthropic",
        anthropic_stream({"output_tokens": 15}, _CACHED_START),
        _CACHED_USAGE,
    ),
    (
        "anthropic, broken before message_delta: the reported input kept, the output estimated",
        "anthropic",
        anthropic_stream(None, _CACHED_START),
        msgspec.structs.replace(_CACHED_USAGE, output_tokens=2, estimated=True),
    ),
    (
        "ollama chat, the final line",
        "ollama",
        ndjson(*_OLLAMA_WORDS, _OLLAMA_DONE),
        Usage(input_tokens=26, output_tokens=282),
    ),
    (
        "ollama generate, the final line",
        "ollama",
        ndjson(
            {"model": "llama3.2", "response": "The", "done": False},
            {"model": "llama3.2", "response": "", "done": True, "prompt_eval_count": 10, "eval_count": 1},
        ),
        Usage(input_tokens=10, output_tokens=1),
    ),
    (
        "ollama, cut off before the final line: estimated",
        "ollama",
        ndjson(*_OLLAMA_WORDS),
        Usage(input_tokens=100, output_tokens=4, estimated=True),
    ),
]


@pytest.mark.parametrize("step", [1, 7, 100_000])
@pytest.mark.parametrize(("fmt", "stream", "expected"), [c[1:] for c in STREAMS], ids=[c[0] for c in STREAMS])
async def test_streams(fmt: Format, stream: bytes, expected: Usage, step: int) -> None:
    meter = UsageMeter()
    tap = stream_tap(FORMATS[fmt], meter, strip_usage_chunk=False)
    out = b""
    for i in range(0, len(stream), step):
        out += await tap.feed(stream[i : i + step])
    out += await tap.finish()
    assert out == stream  # passthrough stays byte for byte
    meter.estimate_missing(REQUEST_BYTES)
    assert meter.usage == expected


@pytest.mark.parametrize(
    ("fmt", "event", "text"),
    [
        ("openai", {"choices": [{"delta": {"content": "héllo"}}]}, "héllo"),
        ("openai", {"choices": [{"delta": {"reasoning_content": "hmm"}}]}, "hmm"),
        (
            "openai",
            {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}}]},
            '{"a":',
        ),
        ("openai", {"type": "response.function_call_arguments.delta", "delta": '{"q"'}, '{"q"'),
        ("openai", {"type": "response.reasoning_summary_text.delta", "delta": "Think"}, "Think"),
        ("openai", {"choices": [], "usage": {"prompt_tokens": 1}}, ""),
        (
            "anthropic",
            {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "Let"}},
            "Let",
        ),
        (
            "anthropic",
            {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": '{"x"'}},
            '{"x"',
        ),
        (
            "anthropic",
            {"type": "content_block_delta", "delta": {"type": "signature_delta", "signature": "EqQ"}},
            "",
        ),
        ("anthropic", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, ""),
        ("ollama", {"message": {"role": "assistant", "content": "a", "thinking": "b"}, "done": False}, "ab"),
        ("ollama", {"response": "", "thinking": "why", "done": False}, "why"),
        (
            "ollama",
            {
                "message": {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": "w", "arguments": {"c": 1}}}],
                }
            },
            '{"c": 1}',  # the arguments object as sent, not the call around it
        ),
    ],
)
def test_the_generated_text_an_estimate_counts(fmt: Format, event: Json, text: str) -> None:
    assert FORMATS[fmt].generated_bytes(json.dumps(event, ensure_ascii=False)) == len(text.encode())


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("event", ["[DONE]", "", "not json", '{"delta": 5}', '{"choices": "x"}'])
def test_events_without_text_count_none(fmt: Format, event: str) -> None:
    assert FORMATS[fmt].generated_bytes(event) == 0


def test_a_stream_the_client_left_before_any_byte_is_estimated_from_the_request_alone() -> None:
    meter = UsageMeter()
    stream_tap(FORMATS["anthropic"], meter, strip_usage_chunk=False)
    meter.estimate_missing(request_bytes=401)
    assert meter.usage == Usage(input_tokens=101, estimated=True)


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (
            sse(*_CHAT_TEXT, _CHAT_USAGE, "[DONE]"),
            Usage(input_tokens=2006, output_tokens=300, cache_read_tokens=1920, reasoning_tokens=128),
        ),
        # An OpenAI-compatible upstream that ignores the include_usage the edge asked for.
        (sse(*_CHAT_TEXT, "[DONE]"), Usage(input_tokens=100, output_tokens=2, estimated=True)),
    ],
)
async def test_the_usage_chunk_the_edge_asked_for_is_read_then_removed(
    stream: bytes, expected: Usage
) -> None:
    meter = UsageMeter()
    tap = stream_tap(FORMATS["openai"], meter, strip_usage_chunk=True)
    out = await tap.feed(stream) + await tap.finish()
    assert out == sse(*_CHAT_TEXT, "[DONE]")
    meter.estimate_missing(REQUEST_BYTES)
    assert meter.usage == expected
