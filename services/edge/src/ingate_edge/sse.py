"""Splitting a provider's SSE byte stream into events, at whatever boundaries bytes arrive.

Framing follows the SSE specification through httpx-sse's decoders (line endings
\\r, \\n, \\r\\n; multi-line data; comments), fed incrementally.
"""

import codecs

from httpx_sse._decoders import SSEDecoder, SSELineDecoder  # spec-conformant; pinned <0.5


class SseFramer:
    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lines = SSELineDecoder()
        self._events = SSEDecoder()

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        text = self._text.decode(chunk)
        return self._decode(self._lines.decode(text)) if text else []

    def flush(self) -> list[tuple[str, str]]:
        tail = self._text.decode(b"", final=True)
        lines = self._lines.decode(tail) if tail else []
        return self._decode([*lines, *self._lines.flush(), ""])

    def _decode(self, lines: list[str]) -> list[tuple[str, str]]:
        events = []
        for line in lines:
            event = self._events.decode(line)
            if event is not None:
                events.append((event.event if event.event != "message" else "", event.data))
        return events
