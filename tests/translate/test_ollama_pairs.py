"""Ollama callers through the registry's pairs: to OpenAI chat, Anthropic messages and Gemini providers.

The provider's SSE bytes are cut at offsets all through them and framed as the edge frames
what it reads; the Ollama caller's NDJSON must be the same bytes however they were cut.
"""

import json

import pytest
from ollama import ChatResponse

from ingate_edge.sse import SseFramer
from ingate_providers import Shape
from ingate_translate import CodecPair, SseEvent, TranslationError, encode_sse, get_pair, ir
from tests.translate.support import CREATED, Json, anthropic_events, dumps, openai_events

CHAT: Json = {
    "model": "smart",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "w", "arguments": {"c": "P"}}}],
        },
        {"role": "tool", "tool_name": "w", "content": "sunny"},
    ],
    "tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}],
    "options": {"num_predict": 300, "temperature": 0.5, "num_ctx": 8192},
}


def pair(backend: Shape, client: Shape = "ollama-chat") -> CodecPair:
    found = get_pair(client, backend)
    assert found is not None
    return found


def test_a_chat_sent_to_openai() -> None:
    translated = pair("openai-chat").request(dumps(CHAT), ir.Hints(), CREATED)
    body = json.loads(translated.body)
    assert (translated.path, translated.stream) == ("/chat/completions", True)
    assert body["stream_options"] == {"include_usage": True}  # for the counts on the last line
    assert (body["max_tokens"], body["temperature"]) == (300, 0.5)
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    call_id = body["messages"][2]["tool_calls"][0]["id"]
    assert body["messages"][3]["tool_call_id"] == call_id == "call_1"


def test_a_chat_sent_to_anthropic() -> None:
    translated = pair("anthropic-messages").request(dumps(CHAT), ir.Hints(), CREATED)
    body = json.loads(translated.body)
    assert translated.path == "/v1/messages"
    assert body["system"] == "Be brief."
    use = body["messages"][1]["content"][0]
    result = body["messages"][2]["content"][0]
    assert (use["type"], use["id"], use["input"]) == ("tool_use", "call_1", {"c": "P"})
    assert (result["type"], result["tool_use_id"]) == ("tool_result", "call_1")


def test_a_chat_sent_to_gemini() -> None:
    translated = pair("gemini-generate").request(dumps(CHAT), ir.Hints(), CREATED)
    body = json.loads(translated.body)
    assert (translated.path, translated.query) == ("/v1beta/models/smart:streamGenerateContent", "alt=sse")
    assert body["generationConfig"] == {"temperature": 0.5, "maxOutputTokens": 300}
    call = body["contents"][1]["parts"][0]["functionCall"]
    answer = body["contents"][2]["parts"][0]["functionResponse"]
    assert (call["name"], call["args"]) == ("w", {"c": "P"})
    assert answer["name"] == "w"  # the name Gemini needs, from the call the tool message answers


def test_a_generate_sent_to_anthropic_unstreamed() -> None:
    body = {"model": "claude", "prompt": "Why?", "system": "Be brief.", "stream": False, "think": False}
    translated = pair("anthropic-messages", "ollama-generate").request(dumps(body), ir.Hints(), CREATED)
    sent = json.loads(translated.body)
    assert not translated.stream and not sent.get("stream")
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Why?"}]}]


OPENAI_STREAM = openai_events(
    {"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"id": "c", "choices": [{"index": 0, "delta": {"content": "Sunny "}}]},
    {"id": "c", "choices": [{"index": 0, "delta": {"content": "in Paris."}}]},
    {
        "id": "c",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_x",
                            "type": "function",
                            "function": {"name": "w", "arguments": '{"c"'},
                        }
                    ]
                },
            }
        ],
    },
    {
        "id": "c",
        "choices": [
            {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ': "R"}'}}]}}
        ],
    },
    {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    {"id": "c", "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}},
)
ANTHROPIC_STREAM = anthropic_events(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 20, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Sunny "}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "in Paris."}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 8}},
    {"type": "message_stop"},
)


def ndjson(backend: Shape, raw: bytes, cut: int) -> bytes:
    """The caller's stream with the provider's bytes cut at `cut`."""
    chosen = pair(backend)
    translated = chosen.request(dumps(CHAT), ir.Hints(), CREATED)
    framer = SseFramer()
    state, out = b"", b""
    for piece in (raw[:cut], raw[cut:]):
        state, produced = chosen.stream(state, translated.context, [*map(_event, framer.feed(piece))], False)
        out += produced
    state, produced = chosen.stream(state, translated.context, [*map(_event, framer.flush())], True)
    return out + produced


def _event(framed: tuple[str, str]) -> SseEvent:
    return SseEvent(*framed)


@pytest.mark.parametrize(
    ("backend", "events", "expected"),
    [
        (
            "openai-chat",
            OPENAI_STREAM,
            [
                {"content": "Sunny "},
                {"content": "in Paris."},
                {"content": "", "tool_calls": [{"function": {"name": "w", "arguments": {"c": "R"}}}]},
            ],
        ),
        (
            "anthropic-messages",
            ANTHROPIC_STREAM,
            [{"content": "", "thinking": "Hmm."}, {"content": "Sunny "}, {"content": "in Paris."}],
        ),
    ],
)
def test_provider_streams_cut_anywhere(backend: Shape, events: list[SseEvent], expected: list[Json]) -> None:
    raw = encode_sse(events)
    reference = ndjson(backend, raw, len(raw))
    for cut in range(len(raw) + 1):
        assert ndjson(backend, raw, cut) == reference, f"bytes cut at {cut}"
    lines = [json.loads(line) for line in reference.decode().splitlines()]
    assert [{k: v for k, v in line["message"].items() if k != "role"} for line in lines[:-1]] == expected
    last = ChatResponse.model_validate(lines[-1])
    assert last.done and (last.prompt_eval_count, last.eval_count) == (20, 8)
    assert all(line["model"] == "smart" for line in lines)


@pytest.mark.parametrize(
    ("backend", "status", "body", "message"),
    [
        (
            "openai-chat",
            429,
            b'{"error": {"message": "Slow down", "type": "rate_limit_exceeded"}}',
            "Slow down",
        ),
        (
            "anthropic-messages",
            529,
            b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
            "Overloaded",
        ),
        ("openai-chat", 502, b"<html>bad gateway</html>", "bad gateway"),
    ],
)
def test_provider_errors_are_one_message(backend: Shape, status: int, body: bytes, message: str) -> None:
    chosen = pair(backend)
    context = chosen.request(dumps(CHAT), ir.Hints(), CREATED).context
    got_status, got = chosen.error(context, status, body)
    assert got_status == status
    error = json.loads(got)
    assert set(error) == {"error"} and message in error["error"]


def test_a_refusal_is_an_ollama_error_naming_the_parameter() -> None:
    chosen = pair("openai-chat")
    with pytest.raises(TranslationError) as caught:
        chosen.request(dumps({**CHAT, "options": {"mirostat": 2}}), ir.Hints(), CREATED)
    status, body = chosen.reject(caught.value)
    assert status == 400
    assert "options.mirostat" in json.loads(body)["error"]
