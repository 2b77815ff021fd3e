"""A constant-body upstream in every dialect Ingate sends, small enough never to be the bottleneck.

Raw ASGI under uvicorn (uvloop + httptools, no access log). Every request gets
the same answer (`bench.replies`), with the headers the real API sends, rate limits
included. `POST /v1/chat/completions`: a chat.completion JSON body, or, when the
request body asks for `"stream": true`, chat.completion.chunk SSE events sent as
separate body messages. `POST /v1/messages` (what the translator makes of a chat
request for Anthropic) gets the Anthropic equivalent, `POST /v1/responses` OpenAI's
Responses equivalent, and a Gemini model's `:generateContent` / `:streamGenerateContent`
Google's (the method, not the body, says whether it streams). A path under `/fail/`
gets OpenAI's own 500 (its error body, at once): a provider that is down, for failover.
The request is never parsed as JSON; a substring test on the raw body is enough and
costs next to nothing. A request with `X-Bench-Pace-Ms: N` gets its stream's events N ms
apart, as a provider generating tokens sends them (one read per event at the other end).

Run on its own with `python -m bench.upstream --port 9000`.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

from bench.replies import (
    COMPLETION_BODY,
    GEMINI_BODY,
    GEMINI_EVENTS,
    MESSAGE_BODY,
    MESSAGE_EVENTS,
    RESPONSE_BODY,
    RESPONSE_EVENTS,
    STREAM_EVENTS,
)
from ingate_mock import org_limits

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_STREAM_MARKERS: Final = (b'"stream":true', b'"stream": true')
MESSAGES_PATH: Final = "/v1/messages"
RESPONSES_PATH: Final = "/v1/responses"
GEMINI_JSON_METHOD: Final = ":generateContent"
GEMINI_STREAM_METHOD: Final = ":streamGenerateContent"
FAIL_PREFIX: Final = "/fail/"
PACE_HEADER: Final = "X-Bench-Pace-Ms"
_PACE_NAME: Final = PACE_HEADER.lower().encode()
# What OpenAI answers when it fails on its side, byte for byte.
FAIL_BODY: Final = (
    b'{"error":{"message":"The server had an error while processing your request. Sorry about that!",'
    b'"type":"server_error","param":null,"code":null}}'
)


class _Answers:
    """The ASGI messages of one dialect's constant answers, built once."""

    def __init__(
        self,
        body: bytes,
        events: tuple[bytes, ...],
        extra: list[tuple[bytes, bytes]],
        json_type: bytes = b"application/json",
    ) -> None:
        self.json_start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", json_type),
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
_RESPONSES: Final = _Answers(
    RESPONSE_BODY,
    RESPONSE_EVENTS,
    [(b"openai-processing-ms", b"1"), (b"x-request-id", b"req_bench"), *org_limits.OPENAI],
)
# Google sends no rate-limit headers; these are what its answers do carry.
_GEMINI: Final = _Answers(
    GEMINI_BODY,
    GEMINI_EVENTS,
    [(b"vary", b"Origin, X-Origin, Referer"), (b"server-timing", b"gfet4t7; dur=1")],
    json_type=b"application/json; charset=UTF-8",
)
_BY_PATH: Final = {MESSAGES_PATH: _ANTHROPIC, RESPONSES_PATH: _RESPONSES}
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
    path: str = scope["path"]
    if path.endswith(GEMINI_STREAM_METHOD):
        answers, stream = _GEMINI, True
    elif path.endswith(GEMINI_JSON_METHOD):
        answers, stream = _GEMINI, False
    else:
        answers = _BY_PATH.get(path, _OPENAI)
        stream = any(marker in body for marker in _STREAM_MARKERS)
    if stream:
        pace_s = _pace_s(scope)
        await send(answers.stream_start)
        for event in answers.stream_bodies:
            if pace_s:
                await asyncio.sleep(pace_s)
            await send(event)
        await send(_STREAM_END)
        return
    await send(answers.json_start)
    await send(answers.json_body)


def _pace_s(scope: Scope) -> float:
    """Seconds between stream events the request asks for (0: all at once)."""
    for name, value in scope["headers"]:
        if name == _PACE_NAME:
            return float(value) / 1000
    return 0.0


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
