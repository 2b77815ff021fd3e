"""A constant-body OpenAI- and Anthropic-style upstream, small enough never to be the bottleneck.

Raw ASGI under uvicorn (uvloop + httptools, no access log). Every request gets
the same answer, with the headers OpenAI (or Anthropic) sends, rate limits
included: a chat.completion JSON body, or, when the request body asks for
`"stream": true`, the same SSE body of chat.completion.chunk events sent as
separate body messages. `POST /v1/messages` (what the translator makes of a chat
request) gets the Anthropic equivalent: the same reply as one message JSON, or
as message_start … message_stop events carrying the same text deltas. A path
under `/fail/` gets OpenAI's own 500 (its error body, at once): a provider that is
down, for failover. The request is never parsed as JSON; a substring test on the
raw body is enough and costs next to nothing.

Run on its own with `python -m bench.upstream --port 9000`.
"""

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from ingate_mock import org_limits

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_MODEL: Final = "gpt-4o-2024-08-06"
_CREATED: Final = 1_700_000_000
_REPLY_TOKENS: Final = ("Hello", "!", " How", " can", " I", " help", " you", " today", "?")
_STREAM_MARKERS: Final = (b'"stream":true', b'"stream": true')
_CLAUDE_MODEL: Final = "claude-sonnet-4-5-20250929"
MESSAGE_ID: Final = "msg_01Bench000000000000000000"


def _usage() -> dict[str, Any]:
    return {
        "prompt_tokens": 9,
        "completion_tokens": len(_REPLY_TOKENS),
        "total_tokens": 9 + len(_REPLY_TOKENS),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _completion_body() -> bytes:
    body = {
        "id": "chatcmpl-bench0000000000000000000000",
        "object": "chat.completion",
        "created": _CREATED,
        "model": _MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(_REPLY_TOKENS), "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(),
        "service_tier": "default",
        "system_fingerprint": "fp_bench0000",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: bool = False) -> bytes:
    event: dict[str, Any] = {
        "id": "chatcmpl-bench0000000000000000000000",
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": _MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_bench0000",
        "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        event["usage"] = _usage()
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def _stream_events() -> tuple[bytes, ...]:
    events = [_chunk({"role": "assistant", "content": "", "refusal": None})]
    events.extend(_chunk({"content": token}) for token in _REPLY_TOKENS)
    events.append(_chunk({}, finish="stop"))
    events.append(_chunk({}, usage=True))
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _anthropic_usage(output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": 9,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(content: list[dict[str, Any]], stop: str | None, output_tokens: int) -> dict[str, Any]:
    return {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": _CLAUDE_MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _anthropic_usage(output_tokens),
    }


def _message_body() -> bytes:
    text = {"type": "text", "text": "".join(_REPLY_TOKENS)}
    return _json(_message([text], "end_turn", len(_REPLY_TOKENS)))


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _json({"type": name, **data}) + b"\n\n"


def _message_events() -> tuple[bytes, ...]:
    """Anthropic's event sequence for one text block, with the OpenAI stream's text deltas."""
    events = [
        _event("message_start", {"message": _message([], None, 1)}),
        _event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        _event("ping", {}),
    ]
    events.extend(
        _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": token}})
        for token in _REPLY_TOKENS
    )
    events.append(_event("content_block_stop", {"index": 0}))
    events.append(
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(_REPLY_TOKENS)},
            },
        )
    )
    events.append(_event("message_stop", {}))
    return tuple(events)


COMPLETION_BODY: Final = _completion_body()
STREAM_EVENTS: Final = _stream_events()
MESSAGE_BODY: Final = _message_body()
MESSAGE_EVENTS: Final = _message_events()
TEXT_DELTAS: Final = len(_REPLY_TOKENS)  # in either stream
MESSAGES_PATH: Final = "/v1/messages"
FAIL_PREFIX: Final = "/fail/"
# What OpenAI answers when it fails on its side, byte for byte.
FAIL_BODY: Final = (
    b'{"error":{"message":"The server had an error while processing your request. Sorry about that!",'
    b'"type":"server_error","param":null,"code":null}}'
)


class _Answers:
    """The ASGI messages of one dialect's constant answers, built once."""

    def __init__(self, body: bytes, events: tuple[bytes, ...], extra: list[tuple[bytes, bytes]]) -> None:
        self.json_start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
        self.json_body: Message = {"type": "http.response.body", "body": body}
        self.stream_start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache"),
                *extra,
            ],
        }
        self.stream_bodies: tuple[Message, ...] = tuple(
            {"type": "http.response.body", "body": event, "more_body": True} for event in events
        )


# The headers the real APIs send with every answer, their organisation's rate limits included:
# a gateway with limits of its own must replace those, not add to them.
_OPENAI: Final = _Answers(
    COMPLETION_BODY,
    STREAM_EVENTS,
    [(b"openai-processing-ms", b"1"), (b"x-request-id", b"req_bench"), *org_limits.OPENAI],
)
_ANTHROPIC: Final = _Answers(
    MESSAGE_BODY, MESSAGE_EVENTS, [(b"request-id", b"req_bench"), *org_limits.anthropic()]
)
_STREAM_END: Final[Message] = {"type": "http.response.body", "body": b"", "more_body": False}
_FAIL_START: Final[Message] = {
    "type": "http.response.start",
    "status": 500,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(FAIL_BODY)).encode()),
        (b"x-request-id", b"req_bench"),
    ],
}
_FAIL_BODY: Final[Message] = {"type": "http.response.body", "body": FAIL_BODY}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan is off; nothing else is expected
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"].startswith(FAIL_PREFIX):
        await send(_FAIL_START)
        await send(_FAIL_BODY)
        return
    answers = _ANTHROPIC if scope["path"] == MESSAGES_PATH else _OPENAI
    if any(marker in body for marker in _STREAM_MARKERS):
        await send(answers.stream_start)
        for event in answers.stream_bodies:
            await send(event)
        await send(_STREAM_END)
        return
    await send(answers.json_start)
    await send(answers.json_body)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        server_header=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
