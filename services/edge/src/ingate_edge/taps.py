"""Stream transforms that read token usage (and the generated text, for an estimate when no
usage comes) on the way through a native (untranslated) stream.

Passthrough stays byte-for-byte, except where the edge itself asked an OpenAI
upstream for `stream_options.include_usage`: then the extra usage-only chunk the
caller did not ask for is taken out again.
"""

from typing import Final

from ingate_edge.capture import NdjsonCapture, SseCapture
from ingate_edge.sse import SseFramer
from ingate_edge.sse_scan import EventScanner, event_data
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
    request's `capture` sees every event the provider sent, the dropped chunk included.

    LF-framed streams are scanned as bytes (`EventScanner`): an event's data is looked at
    only for the usage marker, and its generated text is counted only if an estimate turns
    out to need it (`UsageMeter.defer_blocks`). A stream with a CR in it, or a captured one,
    goes through the spec framer instead."""

    def __init__(
        self,
        fmt: ProviderFormat,
        meter: UsageMeter,
        strip_usage_chunk: bool = False,
        capture: SseCapture | None = None,
    ) -> None:
        self._fmt = fmt
        self._marker = fmt.usage_marker.encode()
        self._meter = meter
        self._strip = strip_usage_chunk
        self._capture = capture
        self._scanner: EventScanner | None = EventScanner() if capture is None else None
        self._framer: SseFramer | None = SseFramer() if capture is not None else None

    async def feed(self, chunk: bytes) -> bytes:
        scanner = self._scanner
        if scanner is not None:
            if b"\r" not in chunk:
                blocks = scanner.feed(chunk)
                return self._scanned(chunk, blocks, scanner.scanned, scanner.whole)
            # A CR: line endings the scanner does not split; the spec framer takes over.
            self._scanner = None
            self._framer = SseFramer()
            return self._framed(chunk, self._framer.feed(scanner.take_partial() + chunk))
        assert self._framer is not None
        return self._framed(chunk, self._framer.feed(chunk))  # a usage event may straddle chunks

    async def finish(self) -> bytes:
        if self._scanner is None:
            assert self._framer is not None
            return self._framed(b"", self._framer.flush())
        # An event the provider left unterminated still counts, as the spec framer counts it;
        # held back when stripping, it goes out as it came (unless it is the usage chunk).
        tail = self._scanner.take_partial()
        if not tail:
            return b""
        kept = self._scanned(b"", [tail], tail, whole=False)
        return tail if kept else b""

    def _scanned(self, chunk: bytes, blocks: list[bytes], scanned: bytes, whole: bool) -> bytes:
        """What goes on of `chunk`, whose bytes completed `blocks` (split from `scanned`)."""
        meter, fmt, marker = self._meter, self._fmt, self._marker
        if marker not in scanned:  # nearly every chunk: no event in it reports usage
            meter.defer_blocks(fmt, blocks, len(scanned))
            if not self._strip or (whole and chunk):
                return chunk
            return b"".join([block + b"\n\n" for block in blocks])
        kept: list[bytes] = []
        plain: list[bytes] = []
        for block in blocks:
            data = event_data(block)
            if marker in data:
                meter.read_event(fmt, data, reports_usage=True)
                if self._strip and _is_usage_chunk(data):
                    continue  # the caller did not ask for this chunk
            else:
                plain.append(block)
            kept.append(block)
        meter.defer_blocks(fmt, plain, sum(map(len, plain)))
        if not self._strip or (len(kept) == len(blocks) and whole and chunk):
            return chunk
        return b"".join([block + b"\n\n" for block in kept])

    def _framed(self, chunk: bytes, events: list[tuple[str, str]]) -> bytes:
        if self._capture is not None:
            self._capture.feed(events)
        if not self._strip:
            read_events_usage(self._fmt, events, self._meter)
            return chunk
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


def _is_usage_chunk(data: bytes) -> bool:
    """OpenAI's usage-only chat chunk (no choices), which the edge asks for on a caller's behalf."""
    return b'"usage"' in data and b'"choices":[]' in data.replace(b" ", b"")


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
