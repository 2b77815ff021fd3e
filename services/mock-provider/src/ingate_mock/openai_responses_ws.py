"""OpenAI's Responses API over WebSocket (``GET /v1/responses`` upgraded), as OpenAI serves it.

The upgrade is checked as the HTTP path checks a request: a missing or wrong Bearer key gets
the HTTP 401 (OpenAI's body) instead of ``101``, and ``X-Mock-*`` control headers on the upgrade
apply to every response of the socket. Each ``{"type": "response.create", …}`` text frame is
answered by the HTTP handler itself (``openai_responses.responses``, with ``stream`` set), its SSE
events sent as text frames holding each event's JSON, so the frames are the events of the SSE
stream. Responses run one at a time; a frame sent meanwhile waits for the end of the one under
way. Errors are frames ``{"type": "error", "status": N, "error": {…}}`` and the socket stays open.

Each create counts on the path like a POST (``/_mock/stats``, ``/_mock/received``) and takes the
fault schedule's ``fail_next`` as an error frame; a stream cut on purpose (``break_stream_after``,
``X-Mock-Drop-After``) closes the socket with 1011 mid-response. ``stats.websockets`` counts the
sockets accepted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from ingate_mock import openai_responses
from ingate_mock.auth import check
from ingate_mock.billing import PromptCache
from ingate_mock.controls import PREFIX, ControlError, Controls, read_controls
from ingate_mock.faults import Dialect, error_body, invalid_body
from ingate_mock.options import MockOptions
from ingate_mock.schedule import Faults
from ingate_mock.text import new_hex_id
from ingate_mock.wire import (
    JSON,
    ClientGone,
    DroppedConnection,
    EventStream,
    Message,
    Receive,
    Request,
    Scope,
    Send,
)

PATH = "/v1/responses"
_DATA = b"\ndata: "
_BROKEN = 1011  # the server met a condition that stopped it serving the response (RFC 6455)

encode = msgspec.json.Encoder().encode


async def serve(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    options: MockOptions,
    base: Controls,
    schedule: Faults,
    streams: set[EventStream],
    prompt_cache: PromptCache,
) -> None:
    """One socket: the upgrade checked, then each create answered in turn."""
    if (await receive())["type"] != "websocket.connect":
        return
    headers = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in scope["headers"]}
    request_id = new_hex_id("req_", 32)
    if scope["path"] != PATH:
        await _deny(send, 404, error_body(Dialect.OPENAI, 404, request_id=request_id))
        return
    failure = check(Dialect.OPENAI, headers, options, request_id)
    if failure is not None:
        await _deny(send, failure[0], failure[1])
        return
    try:
        controls = read_controls(
            {n: v for n, v in headers.items() if n.startswith(PREFIX)}, schedule.controls(base)
        )
    except ControlError as exc:
        await _deny(send, 400, error_body(Dialect.OPENAI, 400, str(exc)))
        return
    schedule.stats.websockets += 1
    await send({"type": "websocket.accept", "headers": [(b"x-request-id", request_id.encode())]})
    socket = _Socket(receive, send, headers, controls, streams, prompt_cache, schedule)
    await socket.run()


class _Socket:
    __slots__ = ("_controls", "_gone", "_headers", "_held", "_prompt_cache", "_receive", "_schedule",
                 "_send", "_streams")  # fmt: skip

    def __init__(
        self,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        controls: Controls,
        streams: set[EventStream],
        prompt_cache: PromptCache,
        schedule: Faults,
    ) -> None:
        self._receive = receive
        self._send = send
        self._headers = headers
        self._controls = controls
        self._streams = streams
        self._prompt_cache = prompt_cache
        self._schedule = schedule
        self._held: list[Message] = []  # frames that came while a response was under way
        self._gone = False

    async def run(self) -> None:
        while not self._gone:
            message = self._held.pop(0) if self._held else await self._receive()
            if message["type"] == "websocket.disconnect":
                return
            if message["type"] != "websocket.receive":
                continue
            if not await self._frame(message.get("text")):
                return

    async def _frame(self, text: str | None) -> bool:
        """Answer one frame; False once the socket is closed."""
        try:
            event = msgspec.json.decode(text or "")
        except msgspec.DecodeError as exc:
            await self._error(400, invalid_body(Dialect.OPENAI, exc, ""))
            return True
        if not isinstance(event, dict) or event.pop("type", None) != "response.create":
            await self._error(400, error_body(Dialect.OPENAI, 400, "Expected a response.create event."))
            return True
        event["stream"] = True
        body = encode(event)
        injected = self._schedule.admit(PATH, body)
        latency_s = self._controls.latency_s + self._schedule.latency_s
        if latency_s > 0:
            await asyncio.sleep(latency_s)
        if injected is not None:
            await self._error(injected.status, error_body(Dialect.OPENAI, injected.status))
            return True
        return await self._respond(body)

    async def _respond(self, body: bytes) -> bool:
        answer = _Answer(self._send)
        req = Request(
            method="POST",
            path=PATH,
            headers=self._headers,
            controls=self._controls,
            send=answer.send,
            receive=self._during_response,
            streams=self._streams,
            request_id=new_hex_id("req_", 32),
            response_headers=[],
            prompt_cache=self._prompt_cache,
        )
        req.body = body
        try:
            await openai_responses.responses(req)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            await self._error(400, invalid_body(Dialect.OPENAI, exc, req.request_id))
        except ClientGone:
            return False
        except DroppedConnection:
            self._schedule.note_broken_stream()
            await self._send({"type": "websocket.close", "code": _BROKEN})
            return False
        finally:
            req.finish()
        return True

    async def _during_response(self) -> Message:
        """What a stream's disconnect watcher reads: returns once the client has gone."""
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                self._gone = True
                return {"type": "http.disconnect"}
            self._held.append(message)

    async def _error(self, status: int, body: dict[str, Any]) -> None:
        frame = {"type": "error", "status": status, "error": body.get("error", body)}
        await self._send({"type": "websocket.send", "text": encode(frame).decode()})


class _Answer:
    """The ASGI ``send`` of one create: SSE events out as frames, a JSON answer as an error frame."""

    __slots__ = ("_chunks", "_send", "_status", "_stream")

    def __init__(self, send: Send) -> None:
        self._send = send
        self._status = 200
        self._stream = False
        self._chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
            self._stream = any(n == b"content-type" and v != JSON for n, v in message.get("headers", []))
            return
        chunk: bytes = message.get("body", b"")
        if self._status == 200 and self._stream:
            # The handler sends each event whole, in one message: `event: NAME\ndata: JSON\n\n`.
            _, found, data = chunk.partition(_DATA)
            if found:
                await self._send({"type": "websocket.send", "text": data.strip().decode()})
            return
        self._chunks.append(chunk)
        if not message.get("more_body", False):
            answer = msgspec.json.decode(b"".join(self._chunks))
            error = answer.get("error", answer) if isinstance(answer, dict) else answer
            frame = {"type": "error", "status": self._status, "error": error}
            if self._status < 400:
                frame = {"type": "response.completed", "response": answer}
            await self._send({"type": "websocket.send", "text": encode(frame).decode()})


async def _deny(send: Send, status: int, body: dict[str, Any]) -> None:
    """Refuse the upgrade with an HTTP answer, as OpenAI does."""
    data = encode(body)
    headers = [(b"content-type", JSON), (b"content-length", str(len(data)).encode())]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": data})
