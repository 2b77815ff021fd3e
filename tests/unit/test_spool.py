"""The edge's spool: memory, then file, then counted refusal; survives restarts."""

from pathlib import Path

from ingate_edge.spool import Pending, Spool


def _item(i: int) -> Pending:
    return Pending("ingate.events.v1.openai", f"req_{i}", b'{"request_id":"req_%d"}' % i)


def _drain(spool: Spool) -> list[str]:
    seen: list[str] = []
    while True:
        items, offset = spool.take(3)
        if not items:
            return seen
        seen += [i.msg_id for i in items]
        if offset is not None:
            spool.commit_file(offset)


def test_memory_then_file_then_counted_drops(tmp_path: Path) -> None:
    item_bytes = len(b"%s\t%s\t%s\n" % (b"ingate.events.v1.openai", b"req_0", _item(0).payload))
    spool = Spool(memory_limit=2, path=tmp_path / "s.spool", file_limit_bytes=item_bytes * 3 + 5)
    for i in range(7):
        spool.put(_item(i))
    assert len(spool) == 2
    assert spool.spooled_to_file == 3
    assert spool.dropped == 2  # policy: the newest are refused once both are full, and counted
    assert _drain(spool) == ["req_0", "req_1", "req_2", "req_3", "req_4"]
    assert not (tmp_path / "s.spool").exists()


def test_uncommitted_file_items_are_read_again(tmp_path: Path) -> None:
    spool = Spool(memory_limit=0, path=tmp_path / "s.spool", file_limit_bytes=10_000)
    for i in range(4):
        spool.put(_item(i))
    first, _ = spool.take(2)
    again, offset = spool.take(2)  # not committed: publishing failed, the same items come back
    assert [i.msg_id for i in first] == [i.msg_id for i in again] == ["req_0", "req_1"]
    assert offset is not None
    spool.commit_file(offset)
    assert [i.msg_id for i in spool.take(10)[0]] == ["req_2", "req_3"]


def test_put_back_keeps_order_ahead_of_newer(tmp_path: Path) -> None:
    spool = Spool(memory_limit=10, path=tmp_path / "s.spool", file_limit_bytes=10_000)
    for i in range(4):
        spool.put(_item(i))
    taken, offset = spool.take(2)
    assert offset is None
    spool.put(_item(9))
    spool.put_back(taken)
    assert _drain(spool) == ["req_0", "req_1", "req_2", "req_3", "req_9"]


def test_persisted_memory_survives_a_restart_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    spool = Spool(memory_limit=10, path=path, file_limit_bytes=10_000)
    for i in range(3):
        spool.put(_item(i))
    spool.persist()
    with path.open("ab") as handle:
        handle.write(b"ingate.events.v1.openai\treq_torn\t{")  # a crash mid-write
    reopened = Spool(memory_limit=10, path=path, file_limit_bytes=10_000)
    items, _ = reopened.take(10)
    assert [i.msg_id for i in items] == ["req_0", "req_1", "req_2"]


def test_trace_context_survives_the_file_and_old_lines_still_read(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    path.write_bytes(b'ingate.events.v1.openai\treq_old\t{"request_id":"req_old"}\n')
    spool = Spool(memory_limit=0, path=path, file_limit_bytes=10_000)
    traced = Pending("ingate.events.v1.openai", "req_new", b"{}", "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01")
    spool.put(traced)
    items, _ = spool.take(10)
    assert [(i.msg_id, i.traceparent) for i in items] == [("req_old", ""), ("req_new", traced.traceparent)]
    assert items[0].payload == b'{"request_id":"req_old"}'
