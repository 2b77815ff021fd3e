"""The edge's journal: a record in memory is on disk too until it is stored or handed over."""

from pathlib import Path

from ingate_edge.journal import EMPTY_AT_BYTES, Journal
from ingate_edge.spool import Pending, Spool


def _item(i: int) -> Pending:
    return Pending("ingate.events.v1.openai", f"req_{i}", b'{"request_id":"req_%d"}' % i)


def _ids(spool: Spool) -> list[str]:
    items, _ = spool.take(1_000)
    return [item.msg_id for item in items]


def _journal_files(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in tmp_path.glob("*.journal.*"))


def test_a_spool_dropped_without_a_clean_stop_leaves_its_records_to_the_next(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    killed = Spool(memory_limit=10, path=path, file_limit_bytes=10_000)
    for i in range(4):
        killed.put(_item(i))
    taken, _ = killed.take(2)
    killed.stored(taken)
    del killed  # as a SIGKILL: no persist

    successor = Spool(memory_limit=10, path=path, file_limit_bytes=10_000)
    # Those stored already may come again (the stream and the consumer drop repeats); none is lost.
    assert {"req_2", "req_3"} <= set(_ids(successor)) <= {"req_0", "req_1", "req_2", "req_3"}
    assert _journal_files(tmp_path) == []  # moved into the spool file, which is drained as before


def test_a_clean_stop_leaves_the_file_and_no_journal(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    spool = Spool(memory_limit=10, path=path, file_limit_bytes=10_000)
    for i in range(3):
        spool.put(_item(i))
    spool.persist()
    assert _journal_files(tmp_path) == []
    assert _ids(Spool(memory_limit=10, path=path, file_limit_bytes=10_000)) == ["req_0", "req_1", "req_2"]


def test_records_handed_to_the_file_or_dropped_are_settled(tmp_path: Path) -> None:
    spool = Spool(memory_limit=2, path=tmp_path / "s.spool", file_limit_bytes=10)  # the file takes none
    spool.put(_item(0))
    spool.put(_item(1))
    taken, _ = spool.take(2)
    spool.put(_item(2))
    spool.put(_item(3))
    spool.put_back(taken)  # no room in memory: to the file, which refuses them, counted
    assert spool.dropped == 2
    spool.persist()
    assert _journal_files(tmp_path) == []


def test_a_quiet_journal_is_emptied_in_place_once_big_enough(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    line = b"x" * 1023 + b"\n"
    for _ in range(EMPTY_AT_BYTES // len(line)):
        journal.settle(journal.append(line))
    assert (tmp_path / "j.1").stat().st_size == 0
    journal.settle(journal.append(line))  # smaller than the mark: left as it is
    assert (tmp_path / "j.1").stat().st_size == len(line)


def test_full_segments_go_once_settled_and_unsettled_ones_are_recovered(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", segment_bytes=10)
    segments = [journal.append(b"record-%02d-padding\n" % i) for i in range(4)]  # one a segment
    assert segments == [1, 2, 3, 4]
    for segment in (1, 3):
        journal.settle(segment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.2", "j.4"]
    with (tmp_path / "j.4").open("ab") as handle:
        handle.write(b"record-torn")  # a write cut short by a crash of the machine

    successor = Journal(tmp_path / "j", segment_bytes=10)
    assert successor.recover() == b"record-01-padding\nrecord-03-padding\n"
    successor.forget_recovered()
    assert list(tmp_path.iterdir()) == []
    assert successor.append(b"next\n") == 5  # never written over a predecessor's segment
