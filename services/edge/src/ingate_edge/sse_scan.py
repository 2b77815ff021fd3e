"""Finding the complete SSE events in a byte stream without decoding it: the relay's fast path.

A provider's stream is relayed byte for byte; the edge only needs each event's data to look
for usage. `EventScanner` splits LF-framed bytes at blank lines and keeps the incomplete
tail as the pieces it arrived in, joined once when its event ends, so a huge event costs
one copy, not one per chunk. A stream with a CR in it (CRLF or bare-CR line endings) is
not scanned here: the caller hands it to the spec framer (`ingate_edge.sse.SseFramer`),
which handles every line ending, from that point on (`take_partial`).
"""

from typing import Final

_BLANK_LINE: Final = b"\n\n"
_DATA: Final = b"data: "


def event_data(block: bytes) -> bytes:
    """The data of one event (its lines without the blank line that ends it), as the SSE
    specification joins it: `data` fields' values, one leading space dropped, joined by LF.
    Comments and other fields count for nothing; b"" when there is no data."""
    if block.startswith(_DATA) and b"\n" not in block:
        return block[6:]  # the shape nearly every provider event has
    values = []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):
            continue
        field, colon, value = line.partition(b":")
        if field == b"data":
            values.append(value[1:] if colon and value.startswith(b" ") else value)
    return b"\n".join(values)


class EventScanner:
    """Complete events out of LF-framed SSE bytes fed at any boundary.

    `feed` returns the blocks (an event's lines, without the blank line) that the chunk
    completes; `whole` then says whether the chunk was exactly those events, nothing held
    back before or after it (so a caller that keeps every event can pass the chunk on as is),
    and `scanned` is the bytes the blocks were split from (one `in` test on it tells whether
    any of them can hold a marker)."""

    __slots__ = ("_pieces", "scanned", "whole")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []  # the incomplete event so far, as it arrived
        self.whole = True
        self.scanned = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        pieces = self._pieces
        if pieces:
            ends_here = _BLANK_LINE in chunk or (chunk[:1] == b"\n" and pieces[-1][-1:] == b"\n")
            if not ends_here:
                if chunk:
                    pieces.append(chunk)
                self.whole = False
                self.scanned = b""
                return []
            pieces.append(chunk)
            buffer = b"".join(pieces)
            pieces.clear()
            self.whole = False
        else:
            buffer = chunk
            self.whole = True
        self.scanned = buffer
        blocks = buffer.split(_BLANK_LINE)
        rest = blocks.pop()
        if rest:
            pieces.append(rest)
            self.whole = False
        return blocks

    def take_partial(self) -> bytes:
        """The incomplete event held so far, handed over (the scanner holds nothing after)."""
        partial = b"".join(self._pieces)
        self._pieces.clear()
        return partial


__all__ = ["EventScanner", "event_data"]
