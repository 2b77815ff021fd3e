"""Records waiting for JetStream: memory first, then a local file, then refused — counted.

The file keeps records across a NATS outage longer than memory holds and across
an edge restart; it is drained (and emptied) once everything in it is stored. What is in
memory is in the journal too, so an edge killed outright loses none of it: the next edge
on the same spool moves what the journal kept into the file and publishes it.
"""

import logging
import time
from collections import deque
from pathlib import Path
from typing import NamedTuple

from ingate_edge.journal import Journal

log = logging.getLogger("ingate.edge.spool")


class Pending(NamedTuple):
    subject: str
    msg_id: str
    payload: bytes
    traceparent: str = ""  # W3C trace context of the request, carried in the event's headers
    segment: int = -1  # the journal segment holding it while in memory; -1 when not journaled


class Spool:
    def __init__(self, memory_limit: int, path: Path, file_limit_bytes: int) -> None:
        self._memory: deque[Pending] = deque()
        self._memory_limit = memory_limit
        self._path = path
        self._file_limit = file_limit_bytes
        self._file_size = path.stat().st_size if path.exists() else 0
        self._read_offset = 0
        self.spooled_to_file = 0
        self.dropped = 0
        self._last_drop_log = 0.0
        self._journal = Journal(path.with_name(f"{path.name}.journal"))
        recovered = self._journal.recover()
        if recovered:
            self._append_to_file(recovered, recovered.count(b"\n"))
            log.warning(
                "%d request records kept by a stopped edge's journal are spooled", recovered.count(b"\n")
            )
        self._journal.forget_recovered()

    def __len__(self) -> int:
        return len(self._memory)

    @property
    def file_bytes(self) -> int:
        return self._file_size - self._read_offset

    def put(self, item: Pending) -> None:
        if len(self._memory) < self._memory_limit:
            self._memory.append(item._replace(segment=self._journal.append(_line(item))))
        else:
            self._to_file([item])

    def put_back(self, items: list[Pending]) -> None:
        """Return items that could not be published, ahead of newer ones."""
        room = self._memory_limit - len(self._memory)
        self._memory.extendleft(reversed(items[:room]))
        if items[room:]:
            self._to_file(items[room:])

    def stored(self, items: list[Pending]) -> None:
        """Items taken from memory are in JetStream now: the journal can let them go."""
        for item in items:
            self._settle(item)

    def take(self, limit: int) -> tuple[list[Pending], int | None]:
        """Up to `limit` items: memory first, then the file. For file items, also the offset to
        `commit_file` once they are stored (until then they stay in the file); None for memory
        items, which the caller must `put_back` if they could not be stored."""
        if self._memory:
            count = min(limit, len(self._memory))
            return [self._memory.popleft() for _ in range(count)], None
        return self._read_file(limit)

    def commit_file(self, offset: int) -> None:
        self._read_offset = offset
        if self._read_offset >= self._file_size and self._file_size:
            self._path.unlink(missing_ok=True)
            self._file_size = self._read_offset = 0

    def persist(self) -> None:
        """At shutdown: everything still in memory goes to the file."""
        items = list(self._memory)
        self._memory.clear()
        self._to_file(items)
        self._journal.close()

    def _to_file(self, items: list[Pending]) -> None:
        self._append_to_file(b"".join(_line(item) for item in items), len(items))
        for item in items:  # in the file (durable itself) or counted as dropped: settled
            self._settle(item)

    def _append_to_file(self, lines: bytes, count: int) -> None:
        if self._file_size + len(lines) > self._file_limit:
            self._drop(count)
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("ab") as handle:
            handle.write(lines)
        self._file_size += len(lines)
        self.spooled_to_file += count

    def _settle(self, item: Pending) -> None:
        if item.segment >= 0:
            self._journal.settle(item.segment)

    def _read_file(self, limit: int) -> tuple[list[Pending], int | None]:
        if self._read_offset >= self._file_size:
            return [], None
        items: list[Pending] = []
        offset = self._read_offset
        with self._path.open("rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # a torn last line from a crash: leave it
                offset += len(raw)
                parsed = _parse(raw)
                if parsed is not None:
                    items.append(parsed)
                if len(items) >= limit:
                    break
        return items, offset

    def _drop(self, count: int) -> None:
        # Policy: when memory and file are both full, the newest records are refused.
        self.dropped += count
        now = time.monotonic()
        if now - self._last_drop_log > 5.0:
            self._last_drop_log = now
            log.error("event spool full: %d request records dropped so far", self.dropped)


def _line(item: Pending) -> bytes:
    # Encoded records are JSON without raw tabs or newlines, so tab-separated lines are safe.
    # Three fields without a trace context keeps files written by older edges readable.
    if item.traceparent:
        return b"%s\t%s\t%s\t%s\n" % (
            item.subject.encode(),
            item.msg_id.encode(),
            item.traceparent.encode(),
            item.payload,
        )
    return b"%s\t%s\t%s\n" % (item.subject.encode(), item.msg_id.encode(), item.payload)


def _parse(raw: bytes) -> Pending | None:
    parts = raw.rstrip(b"\n").split(b"\t", 3)
    if len(parts) == 3:
        return Pending(parts[0].decode(), parts[1].decode(), parts[2])
    if len(parts) == 4:
        return Pending(parts[0].decode(), parts[1].decode(), parts[3], parts[2].decode())
    return None
