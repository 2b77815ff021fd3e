"""The registry, the package's exports and SSE framing."""

import ingate_translate
from ingate_translate import (
    PAIRS,
    AnthropicToOpenAI,
    OpenAIToAnthropic,
    Pair,
    SseEvent,
    encode_sse,
    get_pair,
)


def test_pairs_are_keyed_by_their_formats() -> None:
    assert set(PAIRS) == {("openai-chat", "anthropic-messages"), ("anthropic-messages", "openai-chat")}
    for (client, backend), pair in PAIRS.items():
        assert (pair.client, pair.backend) == (client, backend)


def test_get_pair() -> None:
    assert isinstance(get_pair("openai-chat", "anthropic-messages"), OpenAIToAnthropic)
    assert isinstance(get_pair("anthropic-messages", "openai-chat"), AnthropicToOpenAI)
    assert get_pair("openai-chat", "openai-chat") is None
    assert get_pair("anthropic-messages", "anthropic-messages") is None


def test_classes_satisfy_the_pair_protocol() -> None:
    pairs: list[Pair] = [OpenAIToAnthropic(), AnthropicToOpenAI()]
    assert [p.client for p in pairs] == ["openai-chat", "anthropic-messages"]


def test_exports() -> None:
    for name in ingate_translate.__all__:
        assert hasattr(ingate_translate, name), name
    expected = {
        "Pair",
        "SseEvent",
        "TranslatedRequest",
        "TranslationError",
        "encode_sse",
        "get_pair",
        "PAIRS",
    }
    assert expected | {"OpenAIToAnthropic", "AnthropicToOpenAI"} <= set(ingate_translate.__all__)


def test_encode_sse_frames_named_and_unnamed_events() -> None:
    events = [
        SseEvent("message_stop", '{"type":"message_stop"}'),
        SseEvent("", "[DONE]"),
        SseEvent("", "a\nb"),
    ]
    assert encode_sse(events) == (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\ndata: a\ndata: b\n\n'
    )
