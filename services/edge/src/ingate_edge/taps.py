"""Stream transforms that read token usage on the way through a native (untranslated) stream.

Passthrough stays byte-for-byte, except where the edge itself asked an OpenAI
upstream for `stream_options.include_usage`: then the extra usage-only chunk the
caller did not ask for is taken out again.
"""

from typing import Final

from ingate_edge.sse import SseFramer
from ingate_providers import FORMATS, ProviderFormat, Usage
from ingate_translate import SseEvent, encode_sse

# NDJSON lines stay bytes, so their usage markers do too (encoded once, here).
_LINE_MARKERS: Final = {name: fmt.usage_marker.encode() for name, fmt in FORMATS.items()}


def read_events_usage(fmt: ProviderFormat, events: list[tuple[str, str]], into: Usage) -> None:
    """Fold the usage any of these SSE events (in `fmt`) reports into `into`."""
    marker = fmt.usage_marker
    for _, data in events:
        if marker in data:  # cheap filter: most events carry no usage
            fmt.read_usage(data, into)


class SseUsageTap:
    """Reads usage from SSE events; optionally drops OpenAI's usage-only chunk."""

    def __init__(self, fmt: ProviderFormat, usage: Usage, strip_usage_chunk: bool = False) -> None:
        self._fmt = fmt
        self._usage = usage
        self._strip = strip_usage_chunk
        self._framer = SseFramer()

    async def feed(self, chunk: bytes) -> bytes:
        if not self._strip:
            # Always framed: a usage event may straddle two chunks.
            read_events_usage(self._fmt, self._framer.feed(chunk), self._usage)
            return chunk
        return self._rewrite(self._framer.feed(chunk))

    async def finish(self) -> bytes:
        events = self._framer.flush()
        if not self._strip:
            read_events_usage(self._fmt, events, self._usage)
            return b""
        return self._rewrite(events)

    def _rewrite(self, events: list[tuple[str, str]]) -> bytes:
        kept = []
        for event, data in events:
            if '"usage"' in data and '"choices":[]' in data.replace(" ", ""):
                self._fmt.read_usage(data, self._usage)
                continue  # the caller did not ask for this chunk
            kept.append(SseEvent(event, data))
        return encode_sse(kept)


class NdjsonUsageTap:
    """Reads usage from the NDJSON lines that report it (Ollama's final `"done":true`)."""

    def __init__(self, fmt: ProviderFormat, usage: Usage) -> None:
        self._fmt = fmt
        self._marker = _LINE_MARKERS[fmt.name]
        self._usage = usage
        self._partial = b""

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
        if self._marker in line.replace(b" ", b""):
            self._fmt.read_usage(line, self._usage)
