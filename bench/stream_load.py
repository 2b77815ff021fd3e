"""Many concurrent SSE streams from one process, timing every frame as it arrives.

A raw asyncio protocol (uvloop) per connection, each running streams one after another on
keep-alive: a read costs a chunked-encoding decode and a count of event ends, so one
process holds a thousand streams without becoming what is measured. Connections start
spread over one stream's length, so the streams in flight stay about `connections`.
A frame is an SSE event (its closing blank line); its arrival time is the read's.
"""

import asyncio
import time
from array import array
from dataclasses import dataclass, field
from typing import Final, cast

_EVENT_END: Final = b"\n\n"


class ChunkedDecoder:
    """HTTP/1.1 chunked transfer coding, fed at any byte boundary; `feed` returns the payload
    bytes the input completes and sets `done` at the last chunk."""

    def __init__(self) -> None:
        self.pending = b""
        self.left = 0  # payload bytes still due in the current chunk
        self.trailer = 0  # CRLF bytes still due after it
        self.done = False

    def feed(self, data: bytes) -> bytes:
        data = self.pending + data
        self.pending = b""
        out: list[bytes] = []
        i, n = 0, len(data)
        while i < n and not self.done:
            if self.left:
                take = min(self.left, n - i)
                out.append(data[i : i + take])
                i += take
                self.left -= take
                if not self.left:
                    self.trailer = 2
                continue
            if self.trailer:
                skip = min(self.trailer, n - i)
                i += skip
                self.trailer -= skip
                continue
            end = data.find(b"\r\n", i)
            if end < 0:
                self.pending = data[i:]
                break
            size = int(data[i:end].split(b";", 1)[0], 16)
            i = end + 2
            if size == 0:
                self.done = True  # no trailers are sent here: the final CRLF follows
            else:
                self.left = size
        return b"".join(out)


@dataclass
class Results:
    frames: int = 0
    streams: int = 0
    bad_streams: int = 0  # ended with another number of frames than expected, or failed
    errors: list[str] = field(default_factory=list)
    ttft_s: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    gaps_s: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]


class _Client(asyncio.Protocol):
    def __init__(self, load: "StreamLoad") -> None:
        self.load = load
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self._reset()

    def _reset(self) -> None:
        self.head = b""
        self.in_body = False
        self.decoder = ChunkedDecoder()
        self.tail = b""
        self.frames = 0
        self.sent_at = 0.0
        self.last_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.sent_at:  # a stream in flight
            self.load.results.bad_streams += 1
            self.load.results.errors.append(f"connection lost mid-stream: {exc!r}")
        if not self.closed.done():
            self.closed.set_result(None)

    def start(self) -> None:
        assert self.transport is not None
        self._reset()
        self.sent_at = time.perf_counter()
        self.transport.write(self.load.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self.in_body:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                self._fail(self.head[:200].decode("latin-1", "replace"))
                return
            data = self.head[end + 4 :]
            self.in_body = True
        payload = self.decoder.feed(data)
        if payload:
            scan = self.tail + payload
            count = scan.count(_EVENT_END)
            self.tail = scan[-1:]
            if count:
                self._frames(now, count)
        if self.decoder.done:
            self._finished()

    def _frames(self, now: float, count: int) -> None:
        results = self.load.results
        if not self.frames:
            results.ttft_s.append(now - self.sent_at)
        else:
            results.gaps_s.append(now - self.last_at)
            results.gaps_s.extend([0.0] * (count - 1))
        if not self.frames and count > 1:
            results.gaps_s.extend([0.0] * (count - 1))
        self.frames += count
        self.last_at = now

    def _finished(self) -> None:
        results = self.load.results
        results.frames += self.frames
        results.streams += 1
        if self.frames != self.load.frames_per_stream:
            results.bad_streams += 1
            results.errors.append(f"{self.frames} frames, not {self.load.frames_per_stream}")
        self.sent_at = 0.0
        if time.perf_counter() < self.load.deadline:
            self.start()
        elif self.transport is not None:
            self.transport.close()

    def _fail(self, why: str) -> None:
        self.load.results.errors.append(why)
        self.load.results.bad_streams += 1
        self.sent_at = 0.0
        if self.transport is not None:
            self.transport.close()


class StreamLoad:
    """`connections` keep-alive connections to host:port, each streaming until `seconds` pass."""

    def __init__(self, host: str, port: int, path: str, body: bytes, api_key: str, frames: int) -> None:
        self.host, self.port = host, port
        self.request = (
            f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\nauthorization: Bearer {api_key}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.frames_per_stream = frames
        self.deadline = 0.0
        self.results = Results()

    async def run(self, connections: int, seconds: float, ramp_s: float) -> Results:
        self.results = Results()
        self.deadline = time.perf_counter() + seconds
        loop = asyncio.get_running_loop()
        clients: list[_Client] = []

        async def open_one(index: int) -> None:
            await asyncio.sleep(ramp_s * index / connections)
            try:
                _, client = await loop.create_connection(lambda: _Client(self), self.host, self.port)
            except OSError as exc:
                self.results.errors.append(f"connect: {exc!r}")
                self.results.bad_streams += 1
                return
            clients.append(client)
            client.start()

        await asyncio.gather(*(open_one(i) for i in range(connections)))
        await asyncio.gather(*(client.closed for client in clients))
        return self.results
