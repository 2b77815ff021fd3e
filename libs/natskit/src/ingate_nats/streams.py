"""The JetStream streams Ingate relies on, created or brought up to date idempotently.

Both the edge (which publishes) and the analytics service (which consumes) call
this at start, so either may come up first.
"""

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ingate_config import EventsConfig
from ingate_contracts.subjects import (
    DEADLETTER_STREAM,
    DEADLETTER_STREAM_SUBJECTS,
    EVENTS_STREAM,
    EVENTS_STREAM_SUBJECTS,
)


def events_stream_config(config: EventsConfig) -> StreamConfig:
    return StreamConfig(
        name=EVENTS_STREAM,
        description="One record per request answered by an Ingate edge",
        subjects=[EVENTS_STREAM_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=config.stream_max_age_s,
        max_bytes=config.stream_max_bytes,
        # Old records go first when the stream is full: the newest are the ones not yet stored.
        discard=DiscardPolicy.OLD,
        num_replicas=config.stream_replicas,
        duplicate_window=config.duplicate_window_s,
        # Edges publish records in atomic batches: one acknowledgement per batch, not per record.
        allow_atomic=True,
    )


def deadletter_stream_config(config: EventsConfig) -> StreamConfig:
    return StreamConfig(
        name=DEADLETTER_STREAM,
        description="Request records the analytics consumer could not decode",
        subjects=[DEADLETTER_STREAM_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=config.stream_max_age_s,
        num_replicas=config.stream_replicas,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


async def ensure_event_streams(js: JetStreamContext, config: EventsConfig) -> None:
    await ensure_stream(js, events_stream_config(config))
    await ensure_stream(js, deadletter_stream_config(config))
