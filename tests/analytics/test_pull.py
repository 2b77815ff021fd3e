"""Pulling from JetStream: the feed's requests and their ends, ack subjects, and NATS restarts."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ingate_analytics import ClickHouseSink
from ingate_analytics.pull import PullFeed, delivery_info
from ingate_config import EventsConfig
from ingate_contracts.subjects import EVENTS_STREAM
from ingate_nats import NatsServer, connect, ensure_event_streams
from tests.analytics.harness import running_consumer
from tests.analytics.support import Lane, make_records, publish, stored_rows
from tests.support.processes import free_port
from tests.support.waiting import eventually

STORED_AT = 1795571757.775243882


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("$JS.ACK.INGATE_EVENTS.analytics.1.1042.977.1795571757775243882.12", (1, 1795571757.7752438)),
        (
            "$JS.ACK.hub.ACCHASH.INGATE_EVENTS.analytics.3.1042.977.1795571757775243882.0",
            (3, 1795571757.7752438),
        ),
        (
            "$JS.ACK.hub.ACCHASH.INGATE_EVENTS.analytics.2.5.4.1795571757775243882.0.tok",
            (2, 1795571757.7752438),
        ),
    ],
)
def test_delivery_count_and_store_time_come_from_the_ack_subject(
    reply: str, expected: tuple[int, float]
) -> None:
    info = delivery_info(reply)
    assert info is not None
    assert info[0] == expected[0]
    assert info[1] == pytest.approx(expected[1], abs=1e-6)


@pytest.mark.parametrize(
    "reply",
    ["", "_INBOX.abc.1", "$JS.ACK.S.C.1.2.3", "$JS.ACK.S.C.x.2.3.4.5", "$JS.NAK.S.C.1.2.3.4.5"],
)
def test_other_subjects_are_not_taken_for_ack_subjects(reply: str) -> None:
    assert delivery_info(reply) is None


class Collected:
    def __init__(self) -> None:
        self.messages: list[Msg] = []

    def __call__(self, message: Msg) -> None:
        self.messages.append(message)


@pytest.fixture
async def feed(nats_client: NatsClient, js: JetStreamContext, lane: Lane) -> AsyncIterator[PullFeed]:
    await js.add_consumer(
        EVENTS_STREAM,
        config=ConsumerConfig(
            durable_name=lane.durable, filter_subject=lane.subject, ack_policy=AckPolicy.EXPLICIT
        ),
    )
    pulling = PullFeed(nats_client, EVENTS_STREAM, lane.durable, Collected())
    await pulling.start()
    yield pulling
    await pulling.stop()
    await js.delete_consumer(EVENTS_STREAM, lane.durable)


def collected(feed: PullFeed) -> list[Msg]:
    assert isinstance(feed.on_message, Collected)
    return feed.on_message.messages


async def test_a_request_ends_when_all_it_asked_for_arrived(
    feed: PullFeed, js: JetStreamContext, lane: Lane
) -> None:
    records = make_records(lane, 5)
    await publish(js, lane, records)
    await feed.request(5, expires_s=120.0)
    await feed.wait(30.0)  # returns early only because the request ended
    assert not feed.outstanding  # not held until it expires
    assert feed.refusal is None
    assert [m.headers["Nats-Msg-Id"] for m in collected(feed) if m.headers] == [r.request_id for r in records]
    info = delivery_info(collected(feed)[0].reply)
    assert info is not None
    assert info[0] == 1
    assert abs(info[1] - time.time()) < 60


async def test_a_request_for_more_than_there_is_ends_when_it_expires(
    feed: PullFeed, js: JetStreamContext, lane: Lane
) -> None:
    await publish(js, lane, make_records(lane, 2))
    started = time.monotonic()
    await feed.request(50, expires_s=2.0)
    await feed.wait(0.1)
    assert _outstanding(feed)  # the server holds it open for more
    await feed.wait(30.0)
    assert time.monotonic() - started >= 1.9
    assert not _outstanding(feed)
    assert feed.refusal is None  # "408 Request Timeout" is an ordinary end
    assert len(collected(feed)) == 2


async def test_a_wait_can_be_cut_short_while_the_request_stays_outstanding(feed: PullFeed) -> None:
    await feed.request(50, expires_s=120.0)
    waiting = asyncio.create_task(feed.wait(60.0))
    await asyncio.sleep(0.1)
    feed.wake()
    await asyncio.wait_for(waiting, 30.0)
    assert feed.outstanding


async def test_a_refused_request_says_why(feed: PullFeed, js: JetStreamContext, lane: Lane) -> None:
    await feed.request(50, expires_s=120.0)
    # Received by the server is not yet held by the consumer, which takes requests in on its own:
    # deleted before that, it refuses nothing (the request just vanishes).
    deadline = time.monotonic() + 30.0
    while (await js.consumer_info(EVENTS_STREAM, lane.durable)).num_waiting < 1:
        assert time.monotonic() < deadline, "the consumer never held the pull request"
        await asyncio.sleep(0.01)
    await js.delete_consumer(EVENTS_STREAM, lane.durable)
    await feed.wait(30.0)
    assert not feed.outstanding
    assert feed.refusal is not None
    assert feed.refusal.startswith("409")
    await js.add_consumer(  # for the fixture to delete
        EVENTS_STREAM, config=ConsumerConfig(durable_name=lane.durable, filter_subject=lane.subject)
    )


async def test_the_consumer_carries_on_across_a_nats_restart(sink: ClickHouseSink, tmp_path: Path) -> None:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    client = await connect(server.url, "analytics-restart-test")
    try:
        js = client.jetstream()
        await ensure_event_streams(js, EventsConfig())
        lane = Lane.new()
        records = make_records(lane, 60)
        async with running_consumer(js, lane, sink, flush_s=0.1, ack_wait_s=3.0) as consumer:
            await publish(js, lane, records[:20])
            await eventually(lambda: _at_least(consumer.stats.inserted, 20), what="the first 20 stored")
            server.stop()
            await asyncio.sleep(2.0)  # pull requests fail or go unanswered meanwhile
            server.start()
            await eventually(lambda: _stream_back(client, js), what="reconnected, the stream back")
            await publish(js, lane, records[20:])
            await eventually(lambda: _at_least(consumer.stats.inserted, 60), timeout_s=20, what="all stored")
    finally:
        await client.close()
        server.stop()
    assert await stored_rows(sink, lane) == 60
    assert consumer.stats.duplicates == 0


def _outstanding(feed: PullFeed) -> bool:
    return feed.outstanding  # a call: mypy would take the property for a constant


async def _at_least(value: int, target: int) -> bool:
    return value >= target


async def _stream_back(client: NatsClient, js: JetStreamContext) -> bool:
    if not client.is_connected:
        return False
    try:
        await js.stream_info(EVENTS_STREAM)
    except Exception:
        return False
    return True
