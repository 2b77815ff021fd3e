"""The registry, the package's exports and SSE framing."""

import ingate_translate
from ingate_translate import (
    BACKEND_CODECS,
    CLIENT_CODECS,
    PAIRS,
    CodecPair,
    SseEvent,
    encode_sse,
    get_pair,
)


def test_every_client_shape_pairs_with_every_other_backend_shape() -> None:
    expected = {(c, b) for c in CLIENT_CODECS for b in BACKEND_CODECS if c != b}
    assert set(PAIRS) == expected
    assert {("openai-chat", "anthropic-messages"), ("anthropic-messages", "openai-chat")} <= expected
    for (client, backend), pair in PAIRS.items():
        assert (pair.client, pair.backend) == (client, backend)


def test_codecs_are_keyed_by_their_shapes() -> None:
    for shape, client in CLIENT_CODECS.items():
        assert client.shape == shape
    for shape, backend in BACKEND_CODECS.items():
        assert backend.shape == shape


def test_get_pair() -> None:
    pair = get_pair("openai-chat", "anthropic-messages")
    assert isinstance(pair, CodecPair) and pair is PAIRS[("openai-chat", "anthropic-messages")]
    assert get_pair("openai-chat", "openai-chat") is None
    assert get_pair("anthropic-messages", "anthropic-messages") is None


def test_exports() -> None:
    for name in ingate_translate.__all__:
        assert hasattr(ingate_translate, name), name
    expected = {
        "CodecPair",
        "SseEvent",
        "TranslatedRequest",
        "TranslationError",
        "encode_sse",
        "get_pair",
        "PAIRS",
    }
    assert expected <= set(ingate_translate.__all__)


def test_encode_sse_frames_named_and_unnamed_events() -> None:
    events = [
        SseEvent("message_stop", '{"type":"message_stop"}'),
        SseEvent("", "[DONE]"),
        SseEvent("", "a\nb"),
    ]
    assert encode_sse(events) == (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\ndata: a\ndata: b\n\n'
    )
