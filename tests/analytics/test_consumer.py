"""The consumer in process, against the real nats-server and the real ClickHouse engine (chDB)."""

import asyncio
import functools
import time

import msgspec
from nats.js import JetStreamContext

from ingate_analytics import DEADLETTER_REASON_HEADER, ORIGINAL_SUBJECT_HEADER, ClickHouseSink
from ingate_contracts.subjects import DEADLETTER_STREAM, EVENTS_STREAM
from ingate_contracts.usage import Stats
from tests.analytics.harness import FlakySink, GatedSink, StallAfterInsert, running_consumer
from tests.analytics.support import (
    Lane,
    expected_sessions,
    expected_users,
    make_records,
    publish,
    session_rollup,
    session_rollup_of,
    stored_rows,
    user_rollup,
    user_rollup_of,
)
from tests.support.waiting import eventually


async def test_each_record_becomes_exactly_one_row(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    records = make_records(lane, 120)
    async with running_consumer(js, lane, sink, batch_size=50) as consumer:
        await publish(js, lane, records)
        await eventually(lambda: _inserted(consumer.stats.inserted, 120), what="120 rows inserted")
        info = await js.consumer_info(EVENTS_STREAM, lane.durable)
        assert info.num_ack_pending == 0
        assert info.num_pending == 0
    assert await stored_rows(sink, lane) == 120
    assert consumer.stats.duplicates == 0
    assert consumer.stats.batches >= 3  # 50 at most each


async def test_redeliveries_are_stored_once_and_rollups_stay_exact(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    records = make_records(lane, 60, seed=1)
    async with running_consumer(js, lane, sink, flush_s=0.2) as consumer:
        # Copies inside one batch, then copies of requests already stored.
        await publish(js, lane, records)
        await publish(js, lane, records[:7], again=True)
        await eventually(lambda: _inserted(consumer.stats.inserted + consumer.stats.duplicates, 67))
        await publish(js, lane, records[10:30], again=True)
        await eventually(lambda: _inserted(consumer.stats.duplicates, 27), what="27 duplicates skipped")
    assert consumer.stats.inserted == 60
    assert await stored_rows(sink, lane) == 60
    assert await user_rollup(sink, lane) == user_rollup_of(expected_users(records))
    assert await session_rollup(sink, lane) == session_rollup_of(expected_sessions(records))


async def test_unstorable_messages_are_dead_lettered_and_consumption_goes_on(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    before = (await js.stream_info(DEADLETTER_STREAM)).state.last_seq
    bad = [b"{not json", msgspec.json.encode({"ts": 1.0, "request_id": "r", "input_tokens": -1}), b"[]"]
    good = make_records(lane, 5)
    async with running_consumer(js, lane, sink) as consumer:
        await publish(js, lane, good[:2])
        for n, data in enumerate(bad):
            await js.publish(lane.subject, data, headers={"Nats-Msg-Id": f"bad-{lane.tag}-{n}"})
        await publish(js, lane, good[2:])
        await eventually(lambda: _inserted(consumer.stats.inserted, 5), what="the good records stored")
        await eventually(lambda: _inserted(consumer.stats.dead_lettered, 3), what="3 dead letters")
        info = await js.consumer_info(EVENTS_STREAM, lane.durable)
        assert (info.num_ack_pending, info.num_pending) == (0, 0)  # terminated, not left to come round
    after = (await js.stream_info(DEADLETTER_STREAM)).state.last_seq
    letters = [await js.get_msg(DEADLETTER_STREAM, seq) for seq in range(before + 1, after + 1)]
    ours = [m for m in letters if (m.headers or {}).get(ORIGINAL_SUBJECT_HEADER) == lane.subject]
    assert [m.data for m in ours] == bad
    reasons = [(m.headers or {})[DEADLETTER_REASON_HEADER] for m in ours]
    assert reasons[0].startswith("not JSON")
    assert "input_tokens -1 is outside" in reasons[1]
    assert reasons[2].startswith("not a request record")
    assert await stored_rows(sink, lane) == 5


async def test_nothing_is_acked_while_clickhouse_is_down_and_all_lands_once_it_is_back(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    flaky = FlakySink(sink)
    flaky.down = True
    records = make_records(lane, 30)
    ack_wait_s = 3.0  # a heartbeat every second: room for a busy event loop
    async with running_consumer(js, lane, flaky, ack_wait_s=ack_wait_s) as consumer:
        await publish(js, lane, records)
        await eventually(lambda: _inserted(flaky.failures, 3), what="three failed attempts")
        await asyncio.sleep(ack_wait_s * 1.5)  # longer than the ack wait: in_progress keeps them ours
        info = await js.consumer_info(EVENTS_STREAM, lane.durable)
        assert info.num_ack_pending == 30
        assert info.num_redelivered == 0
        assert await stored_rows(sink, lane) == 0
        assert consumer.stats.insert_failures == flaky.failures
        flaky.down = False
        await eventually(lambda: _inserted(consumer.stats.inserted, 30), what="the batch written")
        await eventually(lambda: _no_ack_pending(js, lane), what="the batch acknowledged")
    assert await stored_rows(sink, lane) == 30
    assert consumer.stats.duplicates == 0
    assert consumer.stats.batches == 1


async def test_a_crash_between_insert_and_ack_is_recovered_without_double_counting(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    records = make_records(lane, 25)
    stalling = StallAfterInsert(sink)
    async with running_consumer(js, lane, stalling, ack_wait_s=1.0, stop_grace_s=0.1, keep=True):
        await publish(js, lane, records)
        await asyncio.wait_for(stalling.inserted.wait(), 5)
    # The first consumer gave up without acknowledging: its rows are in, its messages not done.
    stalled = stalling.count
    assert await stored_rows(sink, lane) == stalled > 0
    # Its unacknowledged messages come round again (some may already have come round to it,
    # been recognised as stored and acknowledged without a second insert).
    async with running_consumer(js, lane, sink, ack_wait_s=1.0) as successor:
        await eventually(lambda: _no_ack_pending(js, lane), what="everything acknowledged")
    assert successor.stats.inserted == 25 - stalled
    assert await stored_rows(sink, lane) == 25
    assert await user_rollup(sink, lane) == user_rollup_of(expected_users(records))


async def test_batches_are_written_when_full_and_the_rest_on_stop(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    records = make_records(lane, 25)
    async with running_consumer(js, lane, sink, batch_size=10, flush_s=60.0, ack_wait_s=30.0) as consumer:
        await publish(js, lane, records)
        await eventually(lambda: _inserted(consumer.stats.inserted, 20), what="two full batches")
        await eventually(lambda: _inserted(len(consumer.batcher), 5), what="the last 5 received")
        assert consumer.stats.inserted == 20  # the last 5 wait for more, or for the time limit
        assert consumer.stats.batches == 2
    # Stopping writes and acknowledges the open batch.
    assert consumer.stats.inserted == 25
    assert consumer.stats.batches == 3
    assert await stored_rows(sink, lane) == 25


async def test_a_batch_is_written_after_its_time_limit(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    # Far from full, and the pull request outlives the test: only the time limit can write it.
    records = make_records(lane, 5)
    async with running_consumer(
        js, lane, sink, batch_size=1000, flush_s=0.3, pull_expires_s=120.0
    ) as consumer:
        started = time.monotonic()
        await publish(js, lane, records)
        await eventually(lambda: _inserted(consumer.stats.inserted, 5), timeout_s=30, what="5 rows by time")
        waited = time.monotonic() - started
        assert consumer.stats.batches == 1
    assert waited >= 0.3  # not before the time limit (how soon after it: `make bench`, bench.pipeline)


async def test_the_next_batch_is_pulled_while_one_is_being_written(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    gated = GatedSink(sink)
    records = make_records(lane, 50)
    async with running_consumer(js, lane, gated, batch_size=20, flush_s=30.0, ack_wait_s=30.0) as consumer:
        await publish(js, lane, records)
        await eventually(lambda: _inserted(gated.held, 1), what="the first batch being written")
        await eventually(lambda: _inserted(len(consumer.batcher), 20), what="the next batch filled meanwhile")
        assert consumer.stats.inserted == 0
        gated.gate.set()
        await eventually(lambda: _inserted(consumer.stats.inserted, 40), what="both batches written")
    assert consumer.stats.inserted == 50  # the last 10 on stop
    assert consumer.stats.batches == 3
    assert await stored_rows(sink, lane) == 50


async def test_records_trickling_in_are_each_written_by_the_time_limit(
    js: JetStreamContext, lane: Lane, sink: ClickHouseSink
) -> None:
    # The pull request outlives the test: a record must be written by its batch's time limit,
    # not held until the request ends (how soon: `make bench`, bench.pipeline's lag figures).
    records = make_records(lane, 12)
    async with running_consumer(
        js, lane, sink, batch_size=1000, flush_s=0.2, pull_expires_s=120.0
    ) as consumer:
        await asyncio.sleep(0.3)  # idle: a pull request waits on the server, no batch is open
        for n, record in enumerate(records, 1):
            await publish(js, lane, [record])
            await eventually(functools.partial(_rows_written, consumer.stats, n), timeout_s=30)
            assert consumer.stats.batches == n  # each alone in its batch
            await asyncio.sleep(0.13)  # lands anywhere in the pull request's life


async def _rows_written(stats: Stats, target: int) -> bool:
    return stats.inserted >= target


async def _inserted(value: int, target: int) -> bool:
    return value >= target


async def _no_ack_pending(js: JetStreamContext, lane: Lane) -> bool:
    info = await js.consumer_info(EVENTS_STREAM, lane.durable)
    return bool(info.num_ack_pending == 0 and info.num_pending == 0)
