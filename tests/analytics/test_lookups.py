"""Which records the batcher looks up in ClickHouse before inserting, and which it may trust."""

from collections.abc import Sequence

from ingate_analytics import Backoff, Batcher
from ingate_analytics.kinds import Record, RecordKind
from ingate_contracts import RequestRecord
from ingate_contracts.usage import Stats


class CountingSink:
    def __init__(self, stored: set[str], fail_inserts: int = 0) -> None:
        self.stored = set(stored)
        self.looked_up: list[list[str]] = []
        self.fail_inserts = fail_inserts

    async def existing_ids(self, kind: RecordKind, records: Sequence[Record]) -> set[str]:
        self.looked_up.append([kind.record_id(r) for r in records])
        return {kind.record_id(r) for r in records} & self.stored

    async def insert(self, kind: RecordKind, records: Sequence[Record]) -> None:
        self.stored |= {kind.record_id(r) for r in records}  # lands, and then (maybe) reports failure
        if self.fail_inserts:
            self.fail_inserts -= 1
            raise ConnectionResetError("insert landed but the answer was lost")


class Delivery:
    def __init__(self) -> None:
        self.acked = False

    async def ack(self) -> None:
        self.acked = True

    async def in_progress(self) -> None:
        return None


def _batcher(sink: CountingSink) -> Batcher:
    return Batcher(
        sink,
        Stats(),
        max_records=100,
        max_delay_s=1.0,
        heartbeat_s=1.0,
        backoff=Backoff(initial_s=0.001, max_s=0.001, jitter_s=0.0),
    )


def _record(request_id: str) -> RequestRecord:
    return RequestRecord(ts=1.0e9, request_id=request_id)


async def test_only_possible_duplicates_are_looked_up() -> None:
    sink = CountingSink(stored={"req_redelivered"})
    batcher = _batcher(sink)
    deliveries = [Delivery() for _ in range(3)]
    batcher.add(deliveries[0], _record("req_fresh_1"), maybe_stored=False)
    batcher.add(deliveries[1], _record("req_redelivered"), maybe_stored=True)
    batcher.add(deliveries[2], _record("req_fresh_2"), maybe_stored=False)
    assert await batcher.flush() == 2
    assert sink.looked_up == [["req_redelivered"]]
    assert all(d.acked for d in deliveries)
    assert batcher.stats.duplicates == 1


async def test_a_batch_of_trusted_records_needs_no_lookup() -> None:
    sink = CountingSink(stored=set())
    batcher = _batcher(sink)
    for i in range(5):
        batcher.add(Delivery(), _record(f"req_{i}"), maybe_stored=False)
    assert await batcher.flush() == 5
    assert sink.looked_up == []


async def test_after_a_failed_insert_every_record_is_looked_up() -> None:
    sink = CountingSink(stored=set(), fail_inserts=1)
    batcher = _batcher(sink)
    for i in range(3):
        batcher.add(Delivery(), _record(f"req_{i}"), maybe_stored=False)
    assert await batcher.flush() == 0  # the first insert landed; the retry finds them all stored
    assert [sorted(ids) for ids in sink.looked_up] == [["req_0", "req_1", "req_2"]]
    assert len(sink.stored) == 3
