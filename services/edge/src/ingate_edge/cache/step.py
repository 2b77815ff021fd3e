"""The request path's cache step: answer from the cache, or go on recording the answer for it."""

import time

from ingate_contracts import KeyRecord
from ingate_edge.cache.choice import choose
from ingate_edge.cache.entry import CachedAnswer, entry_name
from ingate_edge.cache.recorder import AnswerRecorder, Send, with_cache_header
from ingate_edge.cache.store import replay
from ingate_edge.exchange import Exchange
from ingate_edge.headers import InboundHeaders
from ingate_edge.runtime import EdgeRuntime


def wants_cache(key: KeyRecord, inbound: InboundHeaders) -> bool:
    """Whether the cache step has anything to do: the hot path's one check when it does not."""
    return key.cache_ttl is not None or inbound.cache_ttl is not None or inbound.cache is not None


async def through_cache(
    exchange: Exchange,
    runtime: EdgeRuntime,
    key: KeyRecord,
    inbound: InboundHeaders,
    where: tuple[str, str, bytes],
    body: bytes,
    send: Send,
) -> Send | None:
    """None when the cache answered the request; else the `send` for the rest of its way (which
    keeps the answer for the cache, or says the cache was bypassed).

    `where`: the provider or route asked, and the path and query the caller asked it at (a Gemini
    model is in its path, its streaming in its query)."""
    cache = runtime.cache
    choice = choose(key.cache_ttl, inbound.cache_ttl, inbound.cache, cache.max_ttl_s)
    if not body:  # a GET (a model list, a lookup): nothing a model generated, nothing to keep
        return send
    if choice.bypass:
        return with_cache_header(send, b"bypass")
    if not choice.ttl_s:
        return send
    scope = "shared" if cache.shared else key.key_id
    target, path, query = where
    name = entry_name(scope, target, f"{path}?{query.decode('latin-1')}", exchange.dialect.name, body)
    answer = await cache.find(name)
    if answer is None:
        exchange.cache = AnswerRecorder(send, name, choice.ttl_s, cache.max_bytes)
        return exchange.cache
    if key.limited:  # a hit counts as a request against the key's limits: no tokens, no cost
        record = exchange.record
        exchange.admission = await runtime.limiter.admit(key, record.user_id, 0, record.ts, 0.0)
    await _answer_from_cache(exchange, answer, send)
    return None


async def _answer_from_cache(exchange: Exchange, answer: CachedAnswer, send: Send) -> None:
    """A hit: no upstream call, no tokens, nothing charged; what it saved on the record."""
    record = exchange.record
    record.cache_hit = True
    record.cost_saved_usd = answer.cost_usd
    record.status = answer.status
    record.provider = record.provider or answer.provider
    record.model = record.model or answer.model
    record.attempts = 0
    headers: list[tuple[bytes, bytes]] = []
    if exchange.admission is not None:  # the key's own rate-limit headers, as on any answer
        exchange.admission.add_headers(headers)
    exchange.started = True
    record.response_bytes = await replay(send, answer, exchange.request_id_bytes, headers)
    record.ttfb_ms = (time.perf_counter() - exchange.t0) * 1000.0
