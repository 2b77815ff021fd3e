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

from ingate_contracts import RequestRecord
from ingate_edge import errors
from ingate_edge.auth import authenticate, extract_key
from ingate_edge.detect import caller_dialect, native_suffix, select_upstream
from ingate_edge.errors import GatewayError, error_body
from ingate_edge.headers import RESPONSE_DROPPED, InboundHeaders, is_true, response_headers, split_headers
from ingate_edge.limits import Admission, check_expiry, check_model, check_provider
from ingate_edge.limits.estimate import reserve_tokens
from ingate_edge.metering import ask_for_stream_usage, settle, stream_tap
from ingate_edge.probe import probe_body
from ingate_edge.routes import KNOWN_PATHS, Dialect, Route, find_route, guess_dialect
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.streaming import ClientDisconnected, StreamTransform, UpstreamBrokeOff, pump_stream
from ingate_edge.telemetry import end_request_span
from ingate_edge.translated import Translation, plan_translation
from ingate_edge.upstream import Upstream
from ingate_edge.usage import Usage, read_usage
from ingate_telemetry import REQUEST_ID, checked_traceparent

log = logging.getLogger("ingate.edge.proxy")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any

_MAX_ATTRIBUTION_CHARS = 256
_STREAM_TYPES = (b"text/event-stream", b"application/x-ndjson")
_ID_FIELD_ENDPOINTS = frozenset({"chat.completions", "embeddings", "responses"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


def new_request_id() -> str:
    # 96 random bits; ids need to be unique, not secret, and os.urandom is a syscall per request.
    return f"req_{random.getrandbits(96):024x}"


class Exchange:
    """Per-request state the error path needs: the dialect to answer in, and the record."""

    __slots__ = (
        "admission",
        "dialect",
        "record",
        "request_id_bytes",
        "started",
        "strip_usage_chunk",
        "t0",
        "traceparent",
        "usage",
    )

    def __init__(self, record: RequestRecord, dialect: Dialect) -> None:
        self.record = record
        self.dialect: Dialect = dialect
        self.request_id_bytes = record.request_id.encode()
        self.started = False  # response headers sent: errors can no longer be reported
        self.usage = Usage()
        self.admission: Admission | None = None  # what the key's limits lent this request
        self.strip_usage_chunk = False  # the edge asked for a usage chunk the caller did not
        self.t0 = time.perf_counter()
        self.traceparent: str | None = None  # handed on to the translator and with the record


class Proxy:
    def __init__(self, runtime: EdgeRuntime) -> None:
        self.runtime = runtime
        edge = runtime.settings.edge
        self.max_body = edge.max_body_bytes
        self.max_header_bytes = edge.max_header_bytes
        self.max_headers = edge.max_headers
        self.tracer = runtime.tracer  # None when tracing is off: then no span objects at all
        self.metrics = runtime.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        record = RequestRecord(
            ts=time.time(), request_id=new_request_id(), method=scope["method"], endpoint=path
        )
        exchange = Exchange(record, guess_dialect(path))
        REQUEST_ID.set(record.request_id)
        span = None
        if self.tracer is not None:
            span, exchange.traceparent = self.tracer.start(scope["headers"])
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
            record.latency_ms = (time.perf_counter() - exchange.t0) * 1000.0
            settle(record, exchange.usage, self.runtime.prices)
            if exchange.admission is not None:
                used = exchange.usage.input_tokens + exchange.usage.output_tokens
                self.runtime.limiter.settle(exchange.admission, used, record.cost_usd)
            if record.cost_usd:
                self.runtime.spend.add(record.key_id, record.cost_usd, record.ts)
            if span is not None:
                end_request_span(span, record)
            self.metrics.observe(record)
            self.runtime.publisher.emit(record, exchange.traceparent)

    async def _serve(self, exchange: Exchange, scope: Scope, receive: Receive, send: Send) -> None:
        record = exchange.record
        found = find_route(scope["path"])
        if found is None:
            raise GatewayError(
                errors.NOT_FOUND,
                f"Unknown path {scope['path'][:200]!r}. Ingate serves: {', '.join(KNOWN_PATHS)} "
                "(and /v1/models/{model}).",
            )
        route, suffix = found
        exchange.dialect = route.dialect
        record.endpoint = route.endpoint
        inbound = split_headers(scope["headers"])
        self._check_request_line(route, scope["method"], inbound, len(scope["headers"]))
        key = authenticate(self.runtime.keys, extract_key(inbound.authorization, inbound.x_api_key))
        record.key_id = key.key_id
        check_expiry(key, record.ts)
        record.user_id = _attribution("X-Ingate-User-Id", inbound.user_id) or key.user_id
        record.session_id = _attribution("X-Ingate-Session-Id", inbound.session_id)
        upstream = select_upstream(
            route, inbound.provider, self.runtime.upstreams, inbound.anthropic_version is not None
        )
        record.provider = upstream.name
        check_provider(key, upstream.name)
        dialect = exchange.dialect = caller_dialect(route, upstream)
        translation = None
        if not upstream.accepts(dialect):
            translation = plan_translation(
                route,
                dialect,
                upstream,
                is_true(inbound.translate),
                self.runtime.translator,
                exchange.traceparent or inbound.traceparent,
            )
            exchange.traceparent = translation.traceparent
        elif exchange.traceparent is None and inbound.traceparent is not None:
            exchange.traceparent = checked_traceparent(inbound.traceparent.decode("latin-1"))
        body = await self._read_body(scope["method"], inbound, receive)
        record.request_bytes = len(body)
        probe = None
        if scope["method"] == "POST":
            probe = probe_body(body, inbound.content_type)
            record.model = probe.model or ""
            stream = probe.stream
            record.stream = stream if stream is not None else _streams_by_default(route)
            if not upstream.allows_model(probe.model):
                raise GatewayError(
                    errors.PERMISSION,
                    f"Model {record.model[:100]!r} is not allowed on provider {upstream.name!r}.",
                )
            check_model(key, probe.model)
        if key.limited:
            limits_tokens = key.tpm is not None or key.per_user_tpm is not None
            tokens = reserve_tokens(route.endpoint, len(body), probe) if limits_tokens else 0
            limiter = self.runtime.limiter
            admission = limiter.admit_now(key, record.user_id, tokens, record.ts)
            if admission is None:  # this edge holds too little of a limit: ask NATS
                admission = await limiter.admit(key, record.user_id, tokens, record.ts)
            exchange.admission = admission
        if translation is None:
            if record.stream and route.endpoint == "chat.completions":
                body, exchange.strip_usage_chunk = ask_for_stream_usage(body)
            url = upstream.url(dialect, native_suffix(route, dialect, suffix), scope["query_string"])
        else:
            translated = await translation.request(body)
            record.translated = True
            body = translated.body
            url = upstream.url(upstream.format, translated.path, scope["query_string"])
            inbound.forward.extend(translated.headers.items())
        await self._forward(
            exchange, upstream, url, scope["method"], inbound, body, route, send, receive, translation
        )

    def _check_request_line(self, route: Route, method: str, inbound: InboundHeaders, count: int) -> None:
        if method not in route.methods:
            allowed = ", ".join(sorted(route.methods))
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

    async def _read_body(self, method: str, inbound: InboundHeaders, receive: Receive) -> bytes:
        if method == "GET":
            return b""
        declared = inbound.content_length
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise self._too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self) -> GatewayError:
        # Closing the connection stops the server from reading (and discarding) the rest.
        return GatewayError(
            errors.TOO_LARGE,
            f"Request body exceeds the limit of {self.max_body} bytes.",
            headers=((b"connection", b"close"),),
        )

    async def _forward(
        self,
        exchange: Exchange,
        upstream: Upstream,
        url: Any,
        method: str,
        inbound: InboundHeaders,
        body: bytes,
        route: Route,
        send: Send,
        receive: Receive,
        translation: Translation | None,
    ) -> None:
        record = exchange.record
        headers = inbound.forward
        headers.extend(upstream.auth_headers)
        try:
            response = await upstream.session.request(
                method, url, data=body or None, headers=headers, allow_redirects=False
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
        try:
            if content_type.startswith(_STREAM_TYPES) and status < 400:
                transform: StreamTransform
                if translation is not None:
                    transform = translation.stream(exchange.usage)
                else:
                    transform = stream_tap(exchange.dialect, exchange.usage, exchange.strip_usage_chunk)
                exchange.started = True
                await pump_stream(response, out_headers, send, receive, exchange.t0, record, transform)
                return
            data = await _read_whole(response, upstream)
        finally:
            response.release()
        if status < 300:
            read_usage(upstream.format if translation else exchange.dialect, data, exchange.usage)
        if translation is not None:
            status, data = await translation.response(status, data)
            out_headers = [h for h in out_headers if h[0] != b"content-type"]
            out_headers.append((b"content-type", b"application/json"))
        if (
            exchange.dialect == "openai"
            and status < 300
            and route.endpoint in _ID_FIELD_ENDPOINTS
            and b"json" in content_type
        ):
            data = with_request_id_field(data, record.request_id)
        out_headers.append((b"content-length", str(len(data)).encode()))
        exchange.started = True
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        record.ttfb_ms = (time.perf_counter() - exchange.t0) * 1000.0
        await send({"type": "http.response.body", "body": data})
        record.response_bytes = len(data)

    async def _send_error(self, exchange: Exchange, send: Send, err: GatewayError) -> None:
        if exchange.started:
            return
        exchange.started = True
        body = error_body(exchange.dialect, err.kind, err.message, exchange.record.request_id)
        headers = [
            *_JSON_HEADERS,
            (b"content-length", str(len(body)).encode()),
            (b"x-ingate-request-id", exchange.request_id_bytes),
            *err.headers,
        ]
        with contextlib.suppress(OSError):
            await send({"type": "http.response.start", "status": err.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})


async def _read_whole(response: aiohttp.ClientResponse, upstream: Upstream) -> bytes:
    try:
        return await response.read()
    except TimeoutError:
        raise GatewayError(
            errors.UPSTREAM_TIMEOUT,
            f"Provider {upstream.name!r} stopped sending within {upstream.read_timeout_s:g}s.",
        ) from None
    except aiohttp.ClientError:
        raise GatewayError(
            errors.UPSTREAM_UNREACHABLE, f"Provider {upstream.name!r} broke off its answer."
        ) from None


def with_request_id_field(body: bytes, request_id: str) -> bytes:
    """Add `"headers": {"X-Ingate-Request-Id": …}` to a JSON object body.

    The OpenAI SDK keeps unknown top-level fields as attributes, so
    `completion.headers.get("X-Ingate-Request-Id")` works on a parsed completion,
    as the user guide's error-handling example expects.
    """
    end = body.rfind(b"}")
    if end <= 0 or body[:1] != b"{":
        return body
    empty = body[1:end].strip() == b""
    field = b'"headers":{"X-Ingate-Request-Id":"' + request_id.encode() + b'"}'
    return body[:end] + (b"" if empty else b",") + field + body[end:]


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


def _streams_by_default(route: Route) -> bool:
    # Ollama streams /api/chat and /api/generate unless told `"stream": false`.
    return route.dialect == "ollama" and route.endpoint in ("chat", "generate")


__all__ = ["Proxy", "new_request_id", "with_request_id_field"]
