"""Every request record on disk from the moment it is emitted until JetStream has it.

The spool keeps records in memory for speed; this journal is what makes a killed edge
lose none of them. Each record is appended (one `write`, no fsync: it survives the process,
not the machine) to the current segment file, and counted there. A record is *settled*
when JetStream confirms it or when it is handed to the spool file, which is durable itself;
a segment whose records are all settled is emptied or deleted. Segments left behind by a
killed edge are what `recover` returns to its successor.
"""

import logging
import os
from pathlib import Path
from typing import Final

log = logging.getLogger("ingate.edge.journal")

# A segment is started anew once this big, and deleted when its last record settles; one all
# settled is emptied in place once this big, so a killed edge's successor repeats few
# records JetStream has already (repeats are harmless: Nats-Msg-Id and the consumer drop them).
SEGMENT_BYTES: Final = 1 << 20
EMPTY_AT_BYTES: Final = 64 << 10


class Journal:
    def __init__(self, stem: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self._stem = stem
        self._segment_bytes = segment_bytes
        self._unsettled: dict[int, int] = {}
        found = [path for path in stem.parent.glob(f"{stem.name}.*") if path.suffix[1:].isdigit()]
        self._left_behind = sorted(found, key=_number)
        self._segment = max(map(_number, found), default=0) + 1
        self._size = 0
        self._fd = -1

    def recover(self) -> bytes:
        """The whole lines that the previous process left in its segments (a torn last line of
        a segment is skipped). Call `forget_recovered` once they are safe elsewhere."""
        lines = []
        for path in self._left_behind:
            content = path.read_bytes()
            lines.append(content[: content.rfind(b"\n") + 1])
        return b"".join(lines)

    def forget_recovered(self) -> None:
        for path in self._left_behind:
            path.unlink(missing_ok=True)
        self._left_behind = []

    def append(self, line: bytes) -> int:
        """Write `line` to the current segment; returns the segment to `settle` it in."""
        if self._fd < 0 or self._size >= self._segment_bytes:
            self._next_segment()
        os.write(self._fd, line)
        self._size += len(line)
        self._unsettled[self._segment] += 1
        return self._segment

    def settle(self, segment: int) -> None:
        left = self._unsettled[segment] - 1
        if left:
            self._unsettled[segment] = left
            return
        if segment != self._segment:
            del self._unsettled[segment]
            self._path(segment).unlink(missing_ok=True)
            return
        self._unsettled[segment] = 0
        if self._size >= EMPTY_AT_BYTES:  # everything in it settled: empty it in place
            os.ftruncate(self._fd, 0)
            self._size = 0

    def close(self) -> None:
        """At a clean stop, once every record is settled: nothing is left on disk."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        for segment, count in self._unsettled.items():
            if count == 0:
                self._path(segment).unlink(missing_ok=True)
            else:
                log.error("%d request records unsettled at stop; they stay in %s", count, self._path(segment))
        self._unsettled.clear()
        self._segment += 1  # whatever stayed behind is never written over

    def _next_segment(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            if not self._unsettled[self._segment]:
                del self._unsettled[self._segment]
                self._path(self._segment).unlink(missing_ok=True)
            self._segment += 1
        self._stem.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(
            self._path(self._segment), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600
        )
        self._size = 0
        self._unsettled[self._segment] = 0

    def _path(self, segment: int) -> Path:
        return self._stem.with_name(f"{self._stem.name}.{segment}")


def _number(path: Path) -> int:
    return int(path.suffix[1:])
