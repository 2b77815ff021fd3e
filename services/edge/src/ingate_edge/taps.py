"""Stream transforms that read token usage on the way through a native (untranslated) stream.

Passthrough stays byte-for-byte, except where the edge itself asked an OpenAI
upstream for `stream_options.include_usage`: then the extra usage-only chunk the
caller did not ask for is taken out again.
"""

from ingate_edge.sse import SseFramer
from ingate_edge.usage import Format, Usage, read_stream_usage, read_usage
from ingate_translate import SseEvent, encode_sse

_OLLAMA_DONE = b'"done":true'


class SseUsageTap:
    """Reads usage from SSE events; optionally drops OpenAI's usage-only chunk."""

    def __init__(self, fmt: Format, usage: Usage, strip_usage_chunk: bool = False) -> None:
        self._fmt = fmt
        self._usage = usage
        self._strip = strip_usage_chunk
        self._framer = SseFramer()

    async def feed(self, chunk: bytes) -> bytes:
        if not self._strip:
            # Always framed: a usage event may straddle two chunks.
            read_stream_usage(self._fmt, self._framer.feed(chunk), self._usage)
            return chunk
        return self._rewrite(self._framer.feed(chunk))

    async def finish(self) -> bytes:
        events = self._framer.flush()
        if not self._strip:
            read_stream_usage(self._fmt, events, self._usage)
            return b""
        return self._rewrite(events)

    def _rewrite(self, events: list[tuple[str, str]]) -> bytes:
        kept = []
        for event, data in events:
            if '"usage"' in data and '"choices":[]' in data.replace(" ", ""):
                read_usage(self._fmt, data, self._usage)
                continue  # the caller did not ask for this chunk
            kept.append(SseEvent(event, data))
        return encode_sse(kept)


class NdjsonUsageTap:
    """Reads Ollama's final counts from the NDJSON line that says `"done":true`."""

    def __init__(self, usage: Usage) -> None:
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
        if _OLLAMA_DONE in line.replace(b" ", b""):
            read_usage("ollama", line, self._usage)
