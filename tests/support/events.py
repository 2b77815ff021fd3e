"""Watch the request records the edge publishes, to check attribution end to end."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec

from ingate_contracts import RequestRecord
from ingate_contracts.subjects import EVENTS_SUBJECT_PREFIX
from ingate_nats import connect


class RecordTap:
    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self._arrived = asyncio.Event()

    def add(self, data: bytes) -> None:
        self.records.append(msgspec.json.decode(data, type=RequestRecord))
        self._arrived.set()

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[RequestRecord]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.records) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
        return self.records

    async def record_for(self, request_id: str, timeout_s: float = 30.0) -> RequestRecord:
        """The record of `request_id`, once it has been published."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            for record in self.records:
                if record.request_id == request_id:
                    return record
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no record published for {request_id}")
            await self.wait_for(len(self.records) + 1, remaining)


@asynccontextmanager
async def tap_records(nats_url: str) -> AsyncIterator[RecordTap]:
    client = await connect(nats_url, "test-tap")
    tap = RecordTap()

    async def on_message(msg: object) -> None:
        tap.add(msg.data)  # type: ignore[attr-defined]

    await client.subscribe(f"{EVENTS_SUBJECT_PREFIX}.>", cb=on_message)
    await client.flush()
    try:
        yield tap
    finally:
        await client.close()
