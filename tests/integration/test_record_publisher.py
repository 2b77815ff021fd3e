"""The edge's record publisher against a real nats-server: atomic batches, and the fallback."""

import itertools
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig

from ingate_config import EventsConfig
from ingate_contracts import RequestRecord
from ingate_contracts.subjects import EVENTS_STREAM
from ingate_edge.publish import RecordPublisher
from ingate_edge.spool import Spool
from ingate_nats.streams import ensure_event_streams, events_stream_config

_ids = itertools.count()


@pytest.fixture
def client(private_nats: Client) -> Client:
    return private_nats


def _records(count: int) -> list[RequestRecord]:
    return [
        RequestRecord(
            ts=0.0, request_id=f"req_pub_{next(_ids)}", method="POST", endpoint="/x", provider="openai"
        )
        for _ in range(count)
    ]


async def _publish(nc: Client, tmp_path: Path, records: list[RequestRecord], **emit: str) -> RecordPublisher:
    publisher = RecordPublisher(Spool(10_000, tmp_path / "spool", 1_000_000))
    publisher.attach(nc)
    publisher.start()
    for record in records:
        publisher.emit(record, **emit)
    await publisher.stop(drain_timeout_s=10.0)
    assert len(publisher.spool) == 0 and publisher.spool.file_bytes == 0
    return publisher


async def _stored(nc: Client) -> int:
    info = await nc.jetstream().stream_info(EVENTS_STREAM)
    return info.state.messages


async def test_records_go_as_confirmed_atomic_batches(client: Client, tmp_path: Path) -> None:
    await ensure_event_streams(client.jetstream(), EventsConfig())
    publisher = await _publish(
        client, tmp_path, _records(1200), traceparent="00-" + "a1" * 16 + "-" + "b2" * 8 + "-01"
    )
    assert publisher.published == 1200
    assert publisher.batches_confirmed >= 3  # at most 512 records a batch
    assert publisher.batches_retried_singly == 0
    assert await _stored(client) == 1200
    stored = await client.jetstream().get_msg(EVENTS_STREAM, 1)
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"].startswith("req_pub_")
    assert stored.headers["traceparent"] == "00-" + "a1" * 16 + "-" + "b2" * 8 + "-01"


async def test_a_batch_with_an_already_stored_record_is_settled_one_by_one(
    client: Client, tmp_path: Path
) -> None:
    await ensure_event_streams(client.jetstream(), EventsConfig())
    records = _records(50)
    await _publish(client, tmp_path, records[:10])
    # A retry after a lost acknowledgement: the first ten are sent again with forty new ones.
    publisher = await _publish(client, tmp_path, records)
    assert publisher.batches_retried_singly >= 1
    assert publisher.published == 50
    assert await _stored(client) == 50  # nothing twice, nothing missing


async def test_a_stream_without_atomic_batches_still_gets_every_record(
    client: Client, tmp_path: Path
) -> None:
    legacy = events_stream_config(EventsConfig())
    legacy.allow_atomic = None  # as an operator might have created it
    await client.jetstream().add_stream(StreamConfig.from_response(legacy.as_dict()))
    publisher = await _publish(client, tmp_path, _records(700))
    assert publisher.published == 700
    assert await _stored(client) == 700
    assert publisher.batches_confirmed == 0
