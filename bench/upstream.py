"""A constant-body OpenAI-style upstream, small enough never to be the bottleneck.

Raw ASGI under uvicorn (uvloop + httptools, no access log). Every request gets
the same answer: a chat.completion JSON body, or, when the request body asks
for `"stream": true`, the same SSE body of chat.completion.chunk events sent as
separate body messages. The request is never parsed as JSON; a substring test
on the raw body is enough and costs next to nothing.

Run on its own with `python -m bench.upstream --port 9000`.
"""

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_MODEL: Final = "gpt-4o-2024-08-06"
_CREATED: Final = 1_700_000_000
_REPLY_TOKENS: Final = ("Hello", "!", " How", " can", " I", " help", " you", " today", "?")
_STREAM_MARKERS: Final = (b'"stream":true', b'"stream": true')


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


COMPLETION_BODY: Final = _completion_body()
STREAM_EVENTS: Final = _stream_events()

_JSON_START: Final[Message] = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(COMPLETION_BODY)).encode()),
        (b"openai-processing-ms", b"1"),
        (b"x-request-id", b"req_bench"),
    ],
}
_JSON_BODY: Final[Message] = {"type": "http.response.body", "body": COMPLETION_BODY}
_STREAM_START: Final[Message] = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
        (b"openai-processing-ms", b"1"),
        (b"x-request-id", b"req_bench"),
    ],
}
_STREAM_BODIES: Final[tuple[Message, ...]] = tuple(
    {"type": "http.response.body", "body": event, "more_body": True} for event in STREAM_EVENTS
)
_STREAM_END: Final[Message] = {"type": "http.response.body", "body": b"", "more_body": False}


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
    if any(marker in body for marker in _STREAM_MARKERS):
        await send(_STREAM_START)
        for event in _STREAM_BODIES:
            await send(event)
        await send(_STREAM_END)
        return
    await send(_JSON_START)
    await send(_JSON_BODY)


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
