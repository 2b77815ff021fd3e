"""The cache every edge shares: a NATS KV bucket holds each entry (one direct read on a hit), and
an answer too large for a NATS message goes to an Object Store of its own (which chunks it),
the KV entry then saying so. The buckets' TTL bounds every entry; each entry also carries its
own expiry, the key's or the request's TTL.

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
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, ObjectStoreConfig
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from ingate_config import CacheConfig
from ingate_contracts import RequestRecord
from ingate_edge.cache.entry import CachedAnswer
from ingate_edge.cache.recorder import AnswerRecorder, Send

log = logging.getLogger("ingate.edge.cache")

BUCKET: Final = "ingate_cache"
LARGE_BUCKET: Final = "ingate_cache_large"
# Encoded entries up to this size live in the KV entry itself (NATS' default message limit is 1 MiB).
_INLINE_MAX_BYTES: Final = 512 * 1024
_INLINE, _IN_OBJECT_STORE = b"A", b"O"  # the KV entry's first byte: what follows, or where it is
# A lookup that takes longer is given up: the request goes upstream as on a miss (a direct KV
# read takes about a millisecond; this long means NATS is in trouble).
_READ_TIMEOUT_S: Final = 1.0
_WRITE_TIMEOUT_S: Final = 10.0
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(CachedAnswer).decode


class ResponseCache:
    def __init__(self, config: CacheConfig, replicas: int, client: Callable[[], Client | None]) -> None:
        self.shared = config.shared
        self.max_ttl_s = config.max_ttl_s
        self.max_bytes = config.max_bytes
        self._replicas = replicas
        self._client = client
        self._entries: KeyValue | None = None
        self._large: ObjectStore | None = None
        self._writes: set[asyncio.Task[None]] = set()

    def _js(self) -> JetStreamContext | None:
        client = self._client()
        return client.jetstream() if client is not None and client.is_connected else None

    async def _kv(self, js: JetStreamContext) -> KeyValue:
        if self._entries is None:
            try:
                self._entries = await js.key_value(BUCKET)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=BUCKET,
                    description="Ingate response cache",
                    history=1,
                    ttl=float(self.max_ttl_s),
                    max_value_size=_INLINE_MAX_BYTES + 1,
                    replicas=self._replicas,
                )
                self._entries = await js.create_key_value(config)
        return self._entries

    async def _object_store(self, js: JetStreamContext) -> ObjectStore:
        if self._large is None:
            try:
                self._large = await js.object_store(LARGE_BUCKET)
            except BucketNotFoundError:
                config = ObjectStoreConfig(
                    description="Ingate response cache: large answers",
                    ttl=float(self.max_ttl_s),
                    replicas=self._replicas,
                )
                self._large = await js.create_object_store(LARGE_BUCKET, config=config)
        return self._large

    async def find(self, name: str) -> CachedAnswer | None:
        """The live entry under `name`, or None: absent, expired, unreadable, or NATS too slow."""
        js = self._js()
        if js is None:
            return None
        try:
            async with asyncio.timeout(_READ_TIMEOUT_S):
                entry = await (await self._kv(js)).get(name)
                data = entry.value or b""
                if data[:1] == _IN_OBJECT_STORE:
                    data = (await (await self._object_store(js)).get(name)).data or b""
                elif data[:1] == _INLINE:
                    data = data[1:]
        except Exception as exc:  # not found, NATS away, a timeout: all a miss
            log.debug("cache lookup missed: %s", type(exc).__name__)
            return None
        try:
            answer = _decode(data)
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
        js = self._js()
        if js is None:
            return
        data = _encode(answer)
        try:
            async with asyncio.timeout(_WRITE_TIMEOUT_S):
                entries = await self._kv(js)
                if len(data) <= _INLINE_MAX_BYTES:
                    await entries.put(name, _INLINE + data)
                else:  # the object first: a KV entry never points at nothing
                    await (await self._object_store(js)).put(name, data)
                    await entries.put(name, _IN_OBJECT_STORE)
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
