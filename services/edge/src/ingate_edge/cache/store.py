"""The cache every edge shares: a NATS Object Store (it chunks large answers itself), whose TTL
bounds every entry; each entry also carries its own expiry, the key's or the request's TTL.

Reading is bounded: a cache NATS cannot answer quickly is a miss, never a stalled request.
Writing happens after the answer has gone to the caller, in the background; a failed write
costs the next request a miss, nothing more. Bodies are never logged.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final

import msgspec
from nats.aio.client import Client
from nats.js.api import ObjectStoreConfig
from nats.js.errors import BucketNotFoundError
from nats.js.object_store import ObjectStore

from ingate_config import CacheConfig
from ingate_contracts import RequestRecord
from ingate_edge.cache.entry import CachedAnswer
from ingate_edge.cache.recorder import AnswerRecorder, Send
from ingate_edge.limits import Limiter

log = logging.getLogger("ingate.edge.cache")

BUCKET: Final = "ingate_cache"
# A lookup that takes longer is given up: the request goes upstream as on a miss.
_READ_TIMEOUT_S: Final = 0.5
_WRITE_TIMEOUT_S: Final = 10.0
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(CachedAnswer).decode


class ResponseCache:
    def __init__(
        self, config: CacheConfig, replicas: int, client: Callable[[], Client | None], limiter: Limiter
    ) -> None:
        self.limiter = limiter  # a hit still counts as a request against its key's limits
        self.shared = config.shared
        self.max_ttl_s = config.max_ttl_s
        self.max_bytes = config.max_bytes
        self._replicas = replicas
        self._client = client
        self._store: ObjectStore | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def _bucket(self) -> ObjectStore | None:
        client = self._client()
        if client is None or not client.is_connected:
            return None
        if self._store is None:
            js = client.jetstream()
            try:
                self._store = await js.object_store(BUCKET)
            except BucketNotFoundError:
                config = ObjectStoreConfig(
                    description="Ingate response cache", ttl=float(self.max_ttl_s), replicas=self._replicas
                )
                self._store = await js.create_object_store(BUCKET, config=config)
        return self._store

    async def find(self, name: str) -> CachedAnswer | None:
        """The live entry under `name`, or None: absent, expired, unreadable, or NATS too slow."""
        try:
            async with asyncio.timeout(_READ_TIMEOUT_S):
                store = await self._bucket()
                if store is None:
                    return None
                found = await store.get(name)
        except Exception as exc:  # not found, NATS away, a timeout: all a miss
            log.debug("cache lookup missed: %s", type(exc).__name__)
            return None
        try:
            answer = _decode(found.data or b"")
        except msgspec.DecodeError:
            return None
        return answer if answer.expires_at > time.time() else None

    def keep(self, recorder: AnswerRecorder, record: RequestRecord) -> None:
        """After the request: its answer stored, when it is whole, successful and small enough."""
        body = recorder.body()
        if not recorder.complete or not 200 <= recorder.status < 300 or record.error_type or body is None:
            return
        answer = CachedAnswer(
            status=recorder.status,
            content_type=recorder.content_type,
            body=body,
            request_id=record.request_id,
            provider=record.provider,
            model=record.model,
            cost_usd=record.cost_usd,
            expires_at=time.time() + recorder.ttl_s,
        )
        task = asyncio.get_running_loop().create_task(self._put(recorder.name, answer))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _put(self, name: str, answer: CachedAnswer) -> None:
        try:
            async with asyncio.timeout(_WRITE_TIMEOUT_S):
                store = await self._bucket()
                if store is not None:
                    await store.put(name, _encode(answer))
        except Exception as exc:
            log.warning("an answer could not be cached: %s", type(exc).__name__)

    async def stop(self) -> None:
        """Writes under way finish (or are given up with the connection)."""
        if self._writes:
            with contextlib.suppress(Exception):
                await asyncio.wait(self._writes, timeout=_WRITE_TIMEOUT_S)


async def replay(
    send: Send, answer: CachedAnswer, request_id: bytes, extra_headers: list[tuple[bytes, bytes]]
) -> int:
    """The cached answer to the caller as it was first sent, carrying this request's id (also in
    the body, where the first request's id was); the bytes sent."""
    body = answer.body.replace(answer.request_id.encode(), request_id)
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(body)).encode()),
        (b"x-ingate-request-id", request_id),
        (b"x-ingate-cache", b"hit"),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return len(body)
