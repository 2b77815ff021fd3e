"""A paced OpenAI chat stream upstream, cheap enough to serve thousands of streams from one process.

Every POST gets `deltas` chat.completion.chunk events `interval_ms` apart (the first at
once), then, when the request asks for `stream_options.include_usage`, OpenAI's usage-only
chunk, then `data: [DONE]`; each event is its own HTTP/1.1 chunk, written when it is due.
Any GET answers 200 (readiness). Raw asyncio protocol rather than an ASGI server: a frame
costs one timer callback and one `write`, so the upstream is never what limits the bench.

Run on its own with `python -m bench.stream_upstream --port 9000 --deltas 64 --interval-ms 20`.
"""

import argparse
import asyncio
import json
from typing import Any, Final, cast

import uvloop

_MODEL: Final = "gpt-4o-2024-08-06"
_HEAD: Final = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)
_READY: Final = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
_END: Final = b"0\r\n\r\n"
_MAX_HEAD: Final = 65536


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: int = 0) -> bytes:
    event: dict[str, Any] = {
        "id": "chatcmpl-bench0000000000000000000000",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": _MODEL,
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        event["usage"] = {"prompt_tokens": 9, "completion_tokens": usage, "total_tokens": 9 + usage}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def chunked(payload: bytes) -> bytes:
    """One HTTP/1.1 chunk carrying `payload`."""
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def stream_events(deltas: int) -> tuple[list[bytes], bytes, bytes]:
    """The delta events, the usage chunk and `[DONE]`, each framed as an SSE event."""
    events = [_chunk({"role": "assistant", "content": "tok"}, None)]
    events += [_chunk({"content": f" t{i}"}) for i in range(1, deltas - 1)]
    events.append(_chunk({"content": " end"}, "stop"))
    return events[:deltas], _chunk(None, usage=deltas), b"data: [DONE]\n\n"


class _Stream(asyncio.Protocol):
    """One client connection: requests one after another (keep-alive), each answered paced."""

    def __init__(self, server: "PacedServer") -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        del exc
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.timer is None:
            self._next_request()

    def _next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD and self.transport is not None:
                self.transport.close()
            return
        head = self.buffer[:end].lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return  # the body is still on its way
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        if self.transport is None:
            return
        if head.startswith(b"get "):
            self.transport.write(_READY)
            self._next_request()
            return
        self.transport.write(_HEAD)
        usage = b'"include_usage":true' in body.replace(b" ", b"")
        self._send(0, asyncio.get_running_loop().time(), usage)

    def _send(self, index: int, started: float, usage: bool) -> None:
        self.timer = None
        if self.transport is None:
            return
        server = self.server
        self.transport.write(server.frames[index])
        if index + 1 < len(server.frames):
            due = started + (index + 1) * server.interval_s
            self.timer = asyncio.get_running_loop().call_at(due, self._send, index + 1, started, usage)
            return
        self.transport.write((server.usage if usage else b"") + server.done)
        if self.buffer:
            self._next_request()


class PacedServer:
    def __init__(self, deltas: int, interval_ms: float) -> None:
        events, usage, done = stream_events(deltas)
        self.frames = [chunked(event) for event in events]
        self.usage = chunked(usage)
        self.done = chunked(done) + _END
        self.interval_s = interval_ms / 1000.0

    async def serve(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Stream(self), host, port, backlog=4096)
        async with server:
            await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--deltas", type=int, default=64)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    uvloop.run(PacedServer(args.deltas, args.interval_ms).serve(args.host, args.port))


if __name__ == "__main__":
    main()
