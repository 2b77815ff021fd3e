"""Passing an SSE or NDJSON answer through chunk by chunk, never buffering it whole.

A client that goes away mid-stream cancels the upstream request: the pump and a
disconnect watcher race, and whichever ends first decides. The record says how the
exchange ended, not the status line the client had already received: 499 for a client
that left, 502 `upstream_stream_broken` for a provider whose stream broke off.
"""

import asyncio
import contextlib
import time
from typing import Any, Protocol

from ingate_contracts import RequestRecord
from ingate_edge import errors
from ingate_edge.upstream_http import EXCHANGE_FAILED, UpstreamResponse


class ClientDisconnected(Exception):
    """The caller closed its connection before the answer was complete."""


class UpstreamBrokeOff(Exception):
    """The provider's stream ended abnormally; the client's connection is aborted to match."""


class StreamTransform(Protocol):
    """Rewrites a stream on its way through (translation); passthrough uses none."""

    async def feed(self, chunk: bytes) -> bytes: ...

    async def finish(self) -> bytes: ...


async def pump_stream(
    response: UpstreamResponse,
    headers: list[tuple[bytes, bytes]],
    send: Any,
    receive: Any,
    t0: float,
    record: RequestRecord,
    transform: StreamTransform | None = None,
) -> None:
    pump = asyncio.ensure_future(_pump(response, headers, send, t0, record, transform))
    watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
    try:
        done, _ = await asyncio.wait({pump, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        pump.cancel()
        watcher.cancel()
        raise
    if pump in done:
        watcher.cancel()
        pump.result()
        return
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pump
    await response.close()  # drop the upstream connection: the provider stops generating
    raise ClientDisconnected


async def _pump(
    response: UpstreamResponse,
    headers: list[tuple[bytes, bytes]],
    send: Any,
    t0: float,
    record: RequestRecord,
    transform: StreamTransform | None,
) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    size = 0
    try:
        # Each chunk is everything received so far: whatever arrived while the last one was being
        # sent goes out as one body message, and nothing waits for more.
        async for chunk in response.chunks():
            out = chunk if transform is None else await transform.feed(chunk)
            if out:
                if not size:
                    record.ttfb_ms = (time.perf_counter() - t0) * 1000.0
                size += len(out)
                try:  # inline, not _send_chunk: one coroutine less per frame
                    await send({"type": "http.response.body", "body": out, "more_body": True})
                except OSError as exc:
                    raise ClientDisconnected from exc
    except EXCHANGE_FAILED as exc:
        record.response_bytes = size
        record.status = errors.UPSTREAM_STREAM_BROKEN.status
        record.error_type = errors.UPSTREAM_STREAM_BROKEN.code
        raise UpstreamBrokeOff(f"provider stream ended abnormally: {type(exc).__name__}") from None
    if transform is not None:
        tail = await transform.finish()
        if tail:
            size += len(tail)
            await _send_chunk(send, tail)
    record.response_bytes = size
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _send_chunk(send: Any, body: bytes) -> None:
    try:
        await send({"type": "http.response.body", "body": body, "more_body": True})
    except OSError as exc:
        raise ClientDisconnected from exc


async def _wait_for_disconnect(receive: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
