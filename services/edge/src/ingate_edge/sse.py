"""Splitting a provider's SSE byte stream into events, at whatever boundaries bytes arrive.

Framing follows the SSE specification's event-stream interpretation: lines end in \\r\\n,
\\r or \\n (and nothing else); a line starting with `:` is a comment; `data` lines of one
event are joined with \\n; a blank line ends the event. Bytes are decoded as UTF-8
incrementally, so a character split between two reads is kept whole.

An event is handed on when it set a type, data, an id or a retry time (so an `event:` line
without data still counts); `event: message` is reported as the default type, "". Hand-written
rather than a library's: the one that did this pulled an HTTP client and its command-line
tools into the edge's start-up.
"""

import codecs


class SseFramer:
    __slots__ = ("_data", "_event", "_other", "_pending_cr", "_tail", "_text")

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail: list[str] = []  # the line read so far, not yet ended
        self._pending_cr = False  # the last read ended in \r: a \n first in the next one ends nothing
        self._event = ""
        self._data: list[str] = []
        self._other = False  # the event being read had a valid `id` or `retry`

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        text = self._text.decode(chunk)
        return self._decode(self._lines(text)) if text else []

    def flush(self) -> list[tuple[str, str]]:
        """The events still held, as if the stream had ended with a blank line."""
        text = self._text.decode(b"", final=True)
        lines = self._lines(text) if text else []
        if self._tail:
            lines.append("".join(self._tail))
            self._tail = []
        self._pending_cr = False
        lines.append("")
        return self._decode(lines)

    def _lines(self, text: str) -> list[str]:
        """The lines `text` ends, the first one joined to what earlier reads left unended."""
        if self._pending_cr:
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            self._pending_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if len(lines) == 1:
            self._tail.append(text)
            return []
        if self._tail:
            self._tail.append(lines[0])
            lines[0] = "".join(self._tail)
            self._tail = []
        last = lines.pop()
        if last:
            self._tail.append(last)
        return lines

    def _decode(self, lines: list[str]) -> list[tuple[str, str]]:
        events = []
        for line in lines:
            if not line:
                if self._data or self._event or self._other:
                    event = self._event
                    events.append(("" if event == "message" else event, "\n".join(self._data)))
                    self._event = ""
                    self._data = []
                    self._other = False
                continue
            if line[0] == ":":
                continue  # a comment
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                self._other = self._other or (value != "" and "\0" not in value)
            elif name == "retry":
                self._other = self._other or (value.isascii() and value.isdigit())
            # any other name is ignored, as the specification says
        return events
