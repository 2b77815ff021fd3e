"""The hot path: a raw ASGI handler that authenticates, detects, and forwards one request.

Raw ASGI rather than a framework handler because this path is measured in
microseconds (docs/benchmarks.md); everything off the hot path lives in app.py.
"""

import contextlib
import logging
import random
import time
from typing import Any

import aiohttp

from ingate_contracts import KeyRecord, RequestRecord
from ingate_edge import errors
from ingate_edge.answer import read_whole, send_answer
from ingate_edge.auth import authenticate, extract_key
from ingate_edge.detect import caller_route, select_upstream
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.headers import RESPONSE_DROPPED, InboundHeaders, is_true, response_headers, split_headers
from ingate_edge.limits import Admission, check_expiry, check_model, check_provider
from ingate_edge.limits.estimate import reserve_tokens
from ingate_edge.metering import stream_tap
from ingate_edge.probe import RequestProbe, probe_body
from ingate_edge.request_body import read_body
from ingate_edge.routes import KNOWN_PATHS, Route, find_route, guess_dialect
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.streaming import ClientDisconnected, StreamTransform, UpstreamBrokeOff, pump_stream
from ingate_edge.target import Target, native_target, translated_target
from ingate_edge.translated import Translation, plan_translation
from ingate_edge.upstream import Upstream
from ingate_providers import STREAM_CONTENT_TYPES
from ingate_telemetry import REQUEST_ID, checked_traceparent

log = logging.getLogger("ingate.edge.proxy")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any

_MAX_ATTRIBUTION_CHARS = 256
_JSON_HEADERS = [(b"content-type", b"application/json")]


def new_request_id() -> str:
    # 96 random bits; ids need to be unique, not secret, and os.urandom is a syscall per request.
    return f"req_{random.getrandbits(96):024x}"


class Proxy:
    def __init__(self, runtime: EdgeRuntime) -> None:
        self.runtime = runtime
        edge = runtime.settings.edge
        self.max_body = edge.max_body_bytes
        self.max_header_bytes = edge.max_header_bytes
        self.max_headers = edge.max_headers
        self.tracer = runtime.tracer  # None when tracing is off: then no span objects at all

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        record = RequestRecord(
            ts=time.time(), request_id=new_request_id(), method=scope["method"], endpoint=path
        )
        exchange = Exchange(record, guess_dialect(path))
        REQUEST_ID.set(record.request_id)
        if self.tracer is not None:
            exchange.span, exchange.traceparent = self.tracer.start(scope["headers"])
        try:
            await self._serve(exchange, scope, receive, send)
        except GatewayError as err:
            record.status = err.status
            record.error_type = err.error_type
            if exchange.started:  # e.g. the translator vanished mid-stream: abort the connection
                raise UpstreamBrokeOff(err.message) from None
            await self._send_error(exchange, send, err)
        except ClientDisconnected:
            record.status = 499  # as nginx records a client that went away
            record.error_type = "client_disconnected"
        except UpstreamBrokeOff as exc:
            log.warning("request %s: %s", record.request_id, exc)
            raise  # abort the client's connection so it sees the stream break too
        except Exception:
            log.exception("request %s failed", record.request_id)
            record.status = record.status or 500
            record.error_type = record.error_type or "internal_error"
            if exchange.started:
                raise  # the only way left to tell the client: abort the connection
            await self._send_error(exchange, send, GatewayError(errors.INTERNAL, "Internal gateway error."))
        finally:
            exchange.settle(self.runtime)

    async def _serve(self, exchange: Exchange, scope: Scope, receive: Receive, send: Send) -> None:
        record = exchange.record
        method: str = scope["method"]
        route, id_tail = self._route(scope["path"])
        exchange.dialect = route.format
        record.endpoint = route.endpoint.name
        inbound = split_headers(scope["headers"])
        self._check_request_line(route, method, inbound, len(scope["headers"]))
        key = self._authenticate(record, inbound)
        upstream = select_upstream(route, inbound.provider, self.runtime.upstreams, inbound.sdk)
        record.provider = upstream.name
        check_provider(key, upstream.name)
        route = caller_route(route, upstream)
        exchange.dialect = route.format
        exchange.request_id_field = route.endpoint.request_id_field
        translation = self._plan_translation(exchange, route, upstream, inbound)
        body = await read_body(method, inbound.content_length, receive, self.max_body)
        record.request_bytes = len(body)
        probe = _check_body(record, route, upstream, key, body, inbound) if method == "POST" else None
        if key.limited:
            exchange.admission = await self._admit(key, record, route, body, probe)
        query, forward = scope["query_string"], inbound.forward
        if translation is None:
            target = native_target(route, id_tail, upstream, method, query, forward, body, record.stream)
        else:
            target = await translated_target(translation, upstream, method, query, forward, body)
            record.translated = True
        await self._forward(exchange, target, send, receive)

    def _route(self, path: str) -> tuple[Route, str]:
        found = find_route(path)
        if found is None:
            raise GatewayError(
                errors.NOT_FOUND,
                f"Unknown path {path[:200]!r}. Ingate serves: {', '.join(KNOWN_PATHS)} "
                "(and /v1/models/{model}).",
            )
        return found

    def _check_request_line(self, route: Route, method: str, inbound: InboundHeaders, count: int) -> None:
        methods = route.endpoint.methods
        if method not in methods:
            allowed = ", ".join(sorted(methods))
            raise GatewayError(
                errors.METHOD_NOT_ALLOWED,
                f"Method {method} is not allowed on this path; use {allowed}.",
                headers=((b"allow", allowed.encode()),),
            )
        if inbound.size > self.max_header_bytes:
            raise GatewayError(
                errors.HEADERS_TOO_LARGE,
                f"Request headers total {inbound.size} bytes; the limit is {self.max_header_bytes}.",
            )
        if count > self.max_headers:
            raise GatewayError(
                errors.HEADERS_TOO_LARGE,
                f"Request has {count} header lines; the limit is {self.max_headers}.",
            )

    def _authenticate(self, record: RequestRecord, inbound: InboundHeaders) -> KeyRecord:
        key = authenticate(self.runtime.keys, extract_key(inbound.authorization, inbound.x_api_key))
        record.key_id = key.key_id
        check_expiry(key, record.ts)
        record.user_id = _attribution("X-Ingate-User-Id", inbound.user_id) or key.user_id
        record.session_id = _attribution("X-Ingate-Session-Id", inbound.session_id)
        return key

    def _plan_translation(
        self, exchange: Exchange, route: Route, upstream: Upstream, inbound: InboundHeaders
    ) -> Translation | None:
        """None when the provider speaks the caller's dialect; either way, the trace to hand on."""
        if upstream.accepts(route.format):
            if exchange.traceparent is None and inbound.traceparent is not None:
                exchange.traceparent = checked_traceparent(inbound.traceparent.decode("latin-1"))
            return None
        translation = plan_translation(
            route,
            upstream,
            is_true(inbound.translate),
            self.runtime.translator,
            exchange.traceparent or inbound.traceparent,
        )
        exchange.traceparent = translation.traceparent
        return translation

    async def _admit(
        self, key: KeyRecord, record: RequestRecord, route: Route, body: bytes, probe: RequestProbe | None
    ) -> Admission:
        """What the key's limits lend this request, or the 429 that says which limit is reached."""
        limits_tokens = key.tpm is not None or key.per_user_tpm is not None
        tokens = reserve_tokens(route.endpoint.name, len(body), probe) if limits_tokens else 0
        limiter = self.runtime.limiter
        admission = limiter.admit_now(key, record.user_id, tokens, record.ts)
        if admission is None:  # this edge holds too little of a limit: ask NATS
            admission = await limiter.admit(key, record.user_id, tokens, record.ts)
        return admission

    async def _forward(self, exchange: Exchange, target: Target, send: Send, receive: Receive) -> None:
        record = exchange.record
        upstream = target.upstream
        try:
            response = await upstream.session.request(
                target.method,
                target.url,
                data=target.body or None,
                headers=target.headers,
                allow_redirects=False,
            )
        except TimeoutError:
            raise GatewayError(
                errors.UPSTREAM_TIMEOUT,
                f"Provider {upstream.name!r} did not answer within {upstream.read_timeout_s:g}s.",
            ) from None
        except aiohttp.ClientError as exc:
            log.warning("provider %s unreachable: %s", upstream.name, type(exc).__name__)
            raise GatewayError(
                errors.UPSTREAM_UNREACHABLE, f"Cannot reach provider {upstream.name!r}."
            ) from None
        record.upstream_ms = (time.perf_counter() - exchange.t0) * 1000.0
        record.status = response.status
        if response.status >= 400:
            record.error_type = f"upstream_{response.status}"
        admission = exchange.admission
        # The key's own limits replace what the provider says of its (organisation's) limits.
        dropped = RESPONSE_DROPPED if admission is None else admission.plan.dropped
        out_headers = response_headers(response.raw_headers, exchange.request_id_bytes, dropped)
        if admission is not None:
            admission.add_headers(out_headers)
        content_type = response.headers.get("content-type", "").encode("latin-1").lower()
        status = response.status
        translation = target.translation
        try:
            if content_type.startswith(STREAM_CONTENT_TYPES) and status < 400:
                transform: StreamTransform
                if translation is not None:
                    transform = translation.stream(exchange.usage)
                else:
                    transform = stream_tap(exchange.dialect, exchange.usage, target.strip_usage_chunk)
                exchange.started = True
                await pump_stream(response, out_headers, send, receive, exchange.t0, record, transform)
                return
            data = await read_whole(response, upstream)
        finally:
            response.release()
        await send_answer(exchange, target, status, data, out_headers, content_type, send)

    async def _send_error(self, exchange: Exchange, send: Send, err: GatewayError) -> None:
        if exchange.started:
            return
        exchange.started = True
        body = exchange.dialect.error_body(err.kind, err.message, exchange.record.request_id)
        headers = [
            *_JSON_HEADERS,
            (b"content-length", str(len(body)).encode()),
            (b"x-ingate-request-id", exchange.request_id_bytes),
            *err.headers,
        ]
        with contextlib.suppress(OSError):
            await send({"type": "http.response.start", "status": err.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def _check_body(
    record: RequestRecord,
    route: Route,
    upstream: Upstream,
    key: KeyRecord,
    body: bytes,
    inbound: InboundHeaders,
) -> RequestProbe:
    """The model and stream flag onto the record, and whether the key and provider allow the model."""
    probe = probe_body(body, inbound.content_type)
    record.model = probe.model or ""
    stream = probe.stream
    record.stream = stream if stream is not None else route.endpoint.streams_by_default
    if not upstream.allows_model(probe.model):
        raise GatewayError(
            errors.PERMISSION,
            f"Model {record.model[:100]!r} is not allowed on provider {upstream.name!r}.",
        )
    check_model(key, probe.model)
    return probe


def _attribution(header: str, value: bytes | None) -> str:
    if not value:
        return ""
    text = value.decode("utf-8", "replace").strip()
    if len(text) > _MAX_ATTRIBUTION_CHARS or not text.isprintable():
        raise GatewayError(
            errors.INVALID_REQUEST,
            f"{header} must be at most {_MAX_ATTRIBUTION_CHARS} printable characters.",
        )
    return text


__all__ = ["Proxy", "new_request_id"]
