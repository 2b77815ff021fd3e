"""Watch the captured payloads the edge publishes, with the message id each carries."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import msgspec

from ingate_contracts.payloads import PayloadRecord
from ingate_contracts.subjects import PAYLOADS_SUBJECT
from ingate_nats import connect


class PayloadTap:
    def __init__(self) -> None:
        self.payloads: dict[str, PayloadRecord] = {}
        self.msg_ids: dict[str, str] = {}
        self._arrived = asyncio.Event()

    def add(self, data: bytes, msg_id: str) -> None:
        payload = msgspec.json.decode(data, type=PayloadRecord)
        self.payloads[payload.request_id] = payload
        self.msg_ids[payload.request_id] = msg_id
        self._arrived.set()

    async def payload_for(self, request_id: str, timeout_s: float = 30.0) -> PayloadRecord:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while request_id not in self.payloads:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no payload published for {request_id}")
            self._arrived.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return self.payloads[request_id]


@asynccontextmanager
async def tap_payloads(nats_url: str) -> AsyncIterator[PayloadTap]:
    client = await connect(nats_url, "test-payload-tap")
    tap = PayloadTap()

    async def on_message(msg: object) -> None:
        headers = getattr(msg, "headers", None) or {}
        tap.add(msg.data, headers.get("Nats-Msg-Id", ""))  # type: ignore[attr-defined]

    await client.subscribe(PAYLOADS_SUBJECT, cb=on_message)
    await client.flush()
    try:
        yield tap
    finally:
        await client.close()
