"""Stream transforms that read token usage (and the generated text, for an estimate when no
usage comes) on the way through a native (untranslated) stream.

Passthrough stays byte-for-byte, except where the edge itself asked an OpenAI
upstream for `stream_options.include_usage`: then the extra usage-only chunk the
caller did not ask for is taken out again.
"""

from typing import Final

from ingate_edge.capture import NdjsonCapture, SseCapture
from ingate_edge.sse import SseFramer
from ingate_edge.usage_meter import UsageMeter
from ingate_providers import FORMATS, ProviderFormat
from ingate_translate import SseEvent, encode_sse

# NDJSON lines stay bytes, so their usage markers do too (encoded once, here).
_LINE_MARKERS: Final = {name: fmt.usage_marker.encode() for name, fmt in FORMATS.items()}


def read_events_usage(fmt: ProviderFormat, events: list[tuple[str, str]], meter: UsageMeter) -> None:
    """Fold the usage any of these SSE events (in `fmt`) reports, and the text they carry, into `meter`."""
    marker = fmt.usage_marker
    for _, data in events:
        meter.read_event(fmt, data, marker in data)  # cheap filter: most events carry no usage


class SseUsageTap:
    """Reads usage from SSE events; optionally drops OpenAI's usage-only chunk. A captured
    request's `capture` sees every event the provider sent, the dropped chunk included."""

    def __init__(
        self,
        fmt: ProviderFormat,
        meter: UsageMeter,
        strip_usage_chunk: bool = False,
        capture: SseCapture | None = None,
    ) -> None:
        self._fmt = fmt
        self._meter = meter
        self._strip = strip_usage_chunk
        self._framer = SseFramer()
        self._capture = capture

    async def feed(self, chunk: bytes) -> bytes:
        # Always framed: a usage event may straddle two chunks.
        events = self._framer.feed(chunk)
        if self._capture is not None:
            self._capture.feed(events)
        if not self._strip:
            read_events_usage(self._fmt, events, self._meter)
            return chunk
        return self._rewrite(events)

    async def finish(self) -> bytes:
        events = self._framer.flush()
        if self._capture is not None:
            self._capture.feed(events)
        if not self._strip:
            read_events_usage(self._fmt, events, self._meter)
            return b""
        return self._rewrite(events)

    def _rewrite(self, events: list[tuple[str, str]]) -> bytes:
        kept = []
        for event, data in events:
            if '"usage"' in data and '"choices":[]' in data.replace(" ", ""):
                self._meter.read_event(self._fmt, data, reports_usage=True)
                continue  # the caller did not ask for this chunk
            self._meter.read_event(self._fmt, data, self._fmt.usage_marker in data)
            kept.append(SseEvent(event, data))
        return encode_sse(kept)


class NdjsonUsageTap:
    """Reads usage from the NDJSON lines that report it (Ollama's final `"done":true`)."""

    def __init__(self, fmt: ProviderFormat, meter: UsageMeter, capture: NdjsonCapture | None = None) -> None:
        self._fmt = fmt
        self._marker = _LINE_MARKERS[fmt.name]
        self._meter = meter
        self._partial = b""
        self._capture = capture

    async def feed(self, chunk: bytes) -> bytes:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._observe(line)
        return chunk

    async def finish(self) -> bytes:
        self._observe(self._partial)
        self._partial = b""
        return b""

    def _observe(self, line: bytes) -> None:
        if line.strip():
            self._meter.read_event(self._fmt, line, self._marker in line.replace(b" ", b""))
            if self._capture is not None:
                self._capture.line(line)
