"""The Responses WebSocket's pure parts: the proxy's answer as frames, and the continuation.

The relay is driven by a stand-in for the proxy that answers as the proxy does (ASGI
`http.response.*` messages); the SSE bytes are split at every offset, and the frames must be
the same as unsplit.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest

from ingate_edge.streaming import UpstreamBrokeOff
from ingate_edge.websocket_bridge import ResponseRelay, error_frame
from ingate_edge.websocket_history import REMEMBERED, History, input_items

Message = dict[str, Any]
STREAM_HEAD = [(b"content-type", b"text/event-stream"), (b"x-ingate-request-id", b"req_1")]
EVENTS: list[dict[str, Any]] = [
    {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "output": []}},
    {"type": "response.output_text.delta", "sequence_number": 1, "delta": "Hé, "},
    {"type": "response.output_text.delta", "sequence_number": 2, "delta": "you"},
    {
        "type": "response.completed",
        "sequence_number": 3,
        "response": {"id": "resp_1", "output": [{"id": "msg_1", "type": "message", "role": "assistant"}]},
    },
]
SSE = (
    b"".join(b"event: %s\r\ndata: %s\r\n\r\n" % (e["type"].encode(), msgspec.json.encode(e)) for e in EVENTS)
    + b": a comment\n\n"
)


def _answering(status: int, head: list[tuple[bytes, bytes]], chunks: list[bytes], fail: bool = False) -> Any:
    async def proxy(_scope: Message, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
        request = await receive()
        assert request == {"type": "http.request", "body": b"{}", "more_body": False}
        await send({"type": "http.response.start", "status": status, "headers": head})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if fail:
            raise UpstreamBrokeOff("provider stream ended abnormally")
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return proxy


async def _frames(proxy: Any) -> tuple[list[Any], ResponseRelay]:
    sent: list[str] = []

    async def send_text(text: str) -> None:
        sent.append(text)

    async def never() -> Message:
        raise AssertionError("no disconnect watcher in these answers")

    relay = ResponseRelay(b"{}", send_text, never)
    await relay.run(proxy, {"type": "http"})
    return [msgspec.json.decode(text) for text in sent], relay


async def test_every_event_is_one_frame_in_order_wherever_the_stream_is_split() -> None:
    whole, relay = await _frames(_answering(200, STREAM_HEAD, [SSE]))
    assert [f["type"] for f in whole] == [e["type"] for e in EVENTS]
    assert whole[0] == {**EVENTS[0], "headers": {"X-Ingate-Request-Id": "req_1"}}
    assert whole[1:] == EVENTS[1:]
    assert relay.finished is not None and relay.finished.id == "resp_1"
    for cut in range(1, len(SSE)):
        split, _ = await _frames(_answering(200, STREAM_HEAD, [SSE[:cut], SSE[cut:]]))
        assert split == whole, cut
    one_byte_each, _ = await _frames(_answering(200, STREAM_HEAD, [SSE[i : i + 1] for i in range(len(SSE))]))
    assert one_byte_each == whole


async def test_an_error_answer_is_one_error_frame_with_the_headers_a_client_uses() -> None:
    body = b'{"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}'
    head = [
        (b"content-type", b"application/json"),
        (b"x-ingate-request-id", b"req_2"),
        (b"retry-after", b"3"),
        (b"x-ratelimit-remaining-requests", b"0"),
        (b"set-cookie", b"no"),
    ]
    [frame], relay = await _frames(_answering(429, head, [body[:10], body[10:]]))
    assert frame == {
        "type": "error",
        "status": 429,
        "error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"},
        "headers": {
            "x-ingate-request-id": "req_2",
            "retry-after": "3",
            "x-ratelimit-remaining-requests": "0",
        },
    }
    assert relay.finished is None


async def test_a_stream_broken_after_it_began_ends_with_a_502_frame() -> None:
    first_event = SSE.index(b"\r\n\r\n") + 4
    broken = [SSE[:first_event], SSE[first_event : first_event + 10]]  # then the provider drops
    frames, relay = await _frames(_answering(200, STREAM_HEAD, broken, fail=True))
    assert len(frames) == 2
    assert frames[0]["type"] == "response.created"
    assert (frames[-1]["type"], frames[-1]["status"]) == ("error", 502)
    assert frames[-1]["error"]["code"] == "upstream_stream_broken"
    assert frames[-1]["error"]["request_id"] == "req_1"
    assert relay.finished is None


@pytest.mark.parametrize(
    ("body", "message"), [(b"<html>bad gateway</html>", "<html>bad gateway</html>"), (b"", "it broke")]
)
def test_an_error_without_openais_envelope_still_says_what_happened(body: bytes, message: str) -> None:
    frame = msgspec.json.decode(error_frame(502, body, [], "upstream_error", "it broke"))
    assert (frame["status"], frame["error"]["message"], frame["error"]["type"]) == (502, message, "api_error")


def test_a_follow_up_is_sent_as_the_whole_conversation_without_item_ids() -> None:
    history = History()
    first = input_items("hello")
    history.remember("resp_1", first, [{"id": "rs_1", "type": "reasoning", "encrypted_content": "x"}])
    body: dict[str, Any] = {
        "previous_response_id": "resp_1",
        "input": "and then?",
        "instructions": "be brief",
    }
    history.expand(body)
    assert body == {
        "input": [
            {"type": "message", "role": "user", "content": "hello"},
            {"type": "reasoning", "encrypted_content": "x"},
            {"type": "message", "role": "user", "content": "and then?"},
        ],
        "instructions": "be brief",
    }
    unknown: dict[str, Any] = {"previous_response_id": "resp_elsewhere", "input": "hi"}
    history.expand(unknown)
    assert unknown == {"previous_response_id": "resp_elsewhere", "input": "hi"}


def test_only_the_most_recent_responses_are_remembered() -> None:
    history = History()
    for number in range(REMEMBERED + 1):
        history.remember(f"resp_{number}", input_items(f"turn {number}"), [])
    oldest: dict[str, Any] = {"previous_response_id": "resp_0", "input": []}
    newest: dict[str, Any] = {"previous_response_id": f"resp_{REMEMBERED}", "input": []}
    history.expand(oldest)
    history.expand(newest)
    assert "previous_response_id" in oldest
    assert newest == {"input": [{"type": "message", "role": "user", "content": f"turn {REMEMBERED}"}]}
