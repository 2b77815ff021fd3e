"""The JetStream streams as `ensure_event_streams` leaves them, also over an older release's."""

from nats.aio.client import Client
from nats.js.api import StreamConfig

from ingate_config import EventsConfig
from ingate_contracts.subjects import DEADLETTER_STREAM, DEADLETTER_SUBJECT
from ingate_nats.streams import deadletter_stream_config, ensure_event_streams


async def test_an_older_dead_letter_stream_takes_the_versioned_subject(private_nats: Client) -> None:
    js = private_nats.jetstream()
    older = deadletter_stream_config(EventsConfig())
    older.subjects = ["ingate.deadletter.events"]  # the subject before it carried a version
    await js.add_stream(StreamConfig.from_response(older.as_dict()))
    await js.publish("ingate.deadletter.events", b"from an older release")

    await ensure_event_streams(js, EventsConfig())

    await js.publish(DEADLETTER_SUBJECT, b"from this release")
    await js.publish("ingate.deadletter.events", b"from a replica not yet upgraded")
    info = await js.stream_info(DEADLETTER_STREAM)
    assert info.state.messages == 3  # kept what it had, and takes both subjects
    assert info.config.subjects == ["ingate.deadletter.>"]
