"""Hands each finished request's record to NATS without ever delaying a response."""

import logging

import msgspec
from nats.aio.client import Client

from ingate_contracts import RequestRecord
from ingate_contracts.subjects import events_subject

log = logging.getLogger("ingate.edge.publish")

_encode = msgspec.json.Encoder().encode


class RecordPublisher:
    """Publishes one record per request; counts what it could not hand over."""

    def __init__(self) -> None:
        self._client: Client | None = None
        self.published = 0
        self.dropped = 0

    def attach(self, client: Client) -> None:
        self._client = client

    async def publish(self, record: RequestRecord) -> None:
        client = self._client
        if client is None:
            self.dropped += 1
            return
        try:
            # Buffered by the client and flushed by its own task: no network wait here.
            await client.publish(
                events_subject(record.provider or "none"),
                _encode(record),
                headers={"Nats-Msg-Id": record.request_id},
            )
            self.published += 1
        except Exception as exc:
            self.dropped += 1
            log.warning("request record %s not published: %s", record.request_id, exc)
