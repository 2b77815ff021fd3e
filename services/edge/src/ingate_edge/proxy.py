"""The hot path: a raw ASGI handler that authenticates, detects, and forwards one request.

Raw ASGI rather than a framework handler because this path is measured in
microseconds (docs/benchmarks.md); everything off the hot path lives in app.py.
"""

import contextlib
import logging
import random
import time
from typing import Any

import msgspec

from ingate_contracts import KeyRecord, RequestRecord
from ingate_edge import errors
from ingate_edge.answer import send_local
from ingate_edge.auth import authenticate_caller, take_key_param
from ingate_edge.cache.step import through_cache, wants_cache
from ingate_edge.detect import caller_path, select_upstream
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.forward import open_upstream, relay
from ingate_edge.headers import InboundHeaders, is_true, split_headers
from ingate_edge.limits import Admission, check_model, check_provider
from ingate_edge.limits.estimate import BUDGET_OUTPUT_TOKENS, request_size, reserve_tokens
from ingate_edge.paths import KNOWN_PATHS, PATH_PATTERNS, ApiPath, find_path, guess_dialect
from ingate_edge.probe import RequestProbe, probe_request
from ingate_edge.request_body import read_body
from ingate_edge.routing.router import Router
from ingate_edge.routing.table import VirtualModel
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.streaming import ClientDisconnected, UpstreamBrokeOff
from ingate_edge.target import native_target, translated_target
from ingate_edge.translated import Translation, plan_translation
from ingate_edge.upstream import Upstream
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
        self.router = Router(runtime.cooldowns, runtime.translator)
        self.capturer = runtime.capturer
        self.capture_all = runtime.capturer.all

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        record = RequestRecord(
            ts=time.time(), request_id=new_request_id(), method=scope["method"], endpoint=path, attempts=0
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
        api, id_tail = self._find(scope["path"])
        exchange.dialect = api.format
        record.endpoint = api.endpoint.name
        inbound = split_headers(scope["headers"])
        self._check_request_line(api, method, inbound, len(scope["headers"]))
        key_param, query = take_key_param(scope["query_string"])  # the rest goes upstream
        key = self._authenticate(record, inbound, key_param)
        body = await read_body(method, inbound.content_length, receive, self.max_body)
        record.request_bytes = len(body)
        if self.capture_all or key.log_payloads:  # Capturer.captures, inlined: the hot path
            exchange.capture = self.capturer.begin(api.endpoint.shape, body)
        probe = probe_request(api, id_tail, method, body, inbound.content_type)
        virtual = self.runtime.routes.get(probe.model) if probe is not None else None
        if virtual is not None and probe is not None:
            self._prepare_route(exchange, api, virtual, key, inbound, probe)
            if await self._answer_locally(exchange, api, key, virtual.name, send):  # no provider knows it
                return
            if wants_cache(key, inbound):
                where = (virtual.name, scope["path"], query)
                send = await through_cache(exchange, self.runtime, key, inbound, where, body, send)
                if send is None:
                    return
            if key.limited:
                exchange.admission = await self.admit(key, record, api, body, probe, virtual)
            await self.router.serve(exchange, virtual, api, key, inbound, body, query, send, receive)
            return
        upstream = select_upstream(api, inbound.provider, self.runtime.upstreams, inbound.sdk)
        record.provider = upstream.name
        check_provider(key, upstream.name)
        api = caller_path(api, upstream)
        exchange.dialect = api.format
        exchange.request_id_field = api.endpoint.request_id_field
        if (
            method == "GET"
            and self.runtime.routes.names
            and await self._answer_route_lookup(exchange, api, id_tail, send)
        ):
            return
        model = (probe.model or "") if probe is not None else ""
        if not upstream.accepts(api.format) and await self._answer_locally(exchange, api, key, model, send):
            return
        translation = self._plan_translation(exchange, api, upstream, inbound)
        if probe is not None:
            check_body(record, api, upstream, key, probe)
        if wants_cache(key, inbound):
            where = (upstream.name, scope["path"], query)
            send = await through_cache(exchange, self.runtime, key, inbound, where, body, send)
            if send is None:
                return
        if key.limited:
            exchange.admission = await self.admit(key, record, api, body, probe)
        forward = inbound.forward
        if translation is None:
            target = native_target(api, id_tail, upstream, method, query, forward, body, record.stream)
        else:
            target = await translated_target(
                translation, upstream, method, forward, body, model=record.model, stream=record.stream
            )
            record.translated = True
        record.attempts = 1
        record.attempt_targets = [f"{upstream.name}/{record.model}"]
        await relay(exchange, target, await open_upstream(exchange, target), send, receive)

    def _prepare_route(
        self,
        exchange: Exchange,
        api: ApiPath,
        virtual: VirtualModel,
        key: KeyRecord,
        inbound: InboundHeaders,
        probe: RequestProbe,
    ) -> None:
        """A request for a route: the checks made once, whatever target answers."""
        _check_route(exchange.record, api, virtual.name, key, probe)
        exchange.request_id_field = api.endpoint.request_id_field
        if exchange.traceparent is None and inbound.traceparent is not None:
            exchange.traceparent = checked_traceparent(inbound.traceparent.decode("latin-1"))

    async def _answer_route_lookup(self, exchange: Exchange, api: ApiPath, id_tail: str, send: Send) -> bool:
        """Model lists gain the routes (so SDK model pickers see them); a route looked up by name
        (GET /v1/models/smart) is answered here, as no provider knows it."""
        if api.endpoint.lists_models:
            exchange.route_names = self.runtime.routes.names
        elif id_tail and self.runtime.routes.get(id_tail) is not None:
            entry = msgspec.json.encode(api.format.model_entry(id_tail))
            await send_local(exchange, 200, entry, send)
            return True
        return False

    async def _answer_locally(
        self, exchange: Exchange, api: ApiPath, key: KeyRecord, model: str, send: Send
    ) -> bool:
        """Answer what no provider can (the format's `local_answer`, e.g. Ollama's /api/show of
        a route or of another format's model); False when the format has no such answer."""
        local = api.format.local_answer(api.endpoint, model)
        if local is None:
            return False
        if model:
            check_model(key, model)
            exchange.record.model = model
        await send_local(exchange, 200, local, send)
        return True

    def _find(self, path: str) -> tuple[ApiPath, str]:
        found = find_path(path)
        if found is None:
            raise GatewayError(
                errors.NOT_FOUND,
                f"Unknown path {path[:200]!r}. Ingate serves: {', '.join(KNOWN_PATHS)} "
                f"(and {', '.join(PATH_PATTERNS)}).",
            )
        return found

    def _check_request_line(self, api: ApiPath, method: str, inbound: InboundHeaders, count: int) -> None:
        methods = api.endpoint.methods
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

    def _authenticate(
        self, record: RequestRecord, inbound: InboundHeaders, key_param: bytes | None
    ) -> KeyRecord:
        key = authenticate_caller(self.runtime.keys, inbound, record.ts, key_param)
        record.key_id = key.key_id
        record.user_id = _attribution("X-Ingate-User-Id", inbound.user_id) or key.user_id
        record.session_id = _attribution("X-Ingate-Session-Id", inbound.session_id)
        return key

    def _plan_translation(
        self, exchange: Exchange, api: ApiPath, upstream: Upstream, inbound: InboundHeaders
    ) -> Translation | None:
        """None when the provider speaks the caller's dialect; either way, the trace to hand on."""
        if upstream.accepts(api.format):
            if exchange.traceparent is None and inbound.traceparent is not None:
                exchange.traceparent = checked_traceparent(inbound.traceparent.decode("latin-1"))
            return None
        translation = plan_translation(
            api,
            upstream,
            is_true(inbound.translate),
            self.runtime.translator,
            exchange.traceparent or inbound.traceparent,
        )
        exchange.traceparent = translation.traceparent
        return translation

    async def admit(
        self,
        key: KeyRecord,
        record: RequestRecord,
        api: ApiPath,
        body: bytes,
        probe: RequestProbe | None,
        route: VirtualModel | None = None,
    ) -> Admission:
        """What the key's limits lend this request, or the 429 that says which limit is reached."""
        limits_tokens = key.tpm is not None or key.per_user_tpm is not None
        tokens = reserve_tokens(api.endpoint.name, len(body), probe) if limits_tokens else 0
        ceiling = 0.0
        if key.budget_usd is not None:
            ceiling = self._max_cost(record, api, body, probe, route)
        limiter = self.runtime.limiter
        admission = limiter.admit_now(key, record.user_id, tokens, record.ts, ceiling)
        if admission is None:  # this edge holds too little of a limit or budget: ask NATS
            admission = await limiter.admit(key, record.user_id, tokens, record.ts, ceiling)
        return admission

    def _max_cost(
        self,
        record: RequestRecord,
        api: ApiPath,
        body: bytes,
        probe: RequestProbe | None,
        route: VirtualModel | None,
    ) -> float:
        """The most the request can cost (USD), reserved against the key's budget."""
        prompt, output = request_size(api.endpoint.name, len(body), probe, BUDGET_OUTPUT_TOKENS)
        prices = self.runtime.prices
        if route is None:
            return prices.ceiling(record.model, prompt, output, api.format.name)
        # A route is charged for the one attempt that answers, which may be any of its deployments.
        deployments = (*route.targets, *route.fallbacks)
        return max(
            (prices.ceiling(d.model, prompt, output, d.upstream.format.name) for d in deployments),
            default=0.0,
        )

    async def _send_error(self, exchange: Exchange, send: Send, err: GatewayError) -> None:
        if exchange.started:
            return
        exchange.started = True
        body = exchange.dialect.error_body(err.kind, err.message, exchange.record.request_id)
        if exchange.capture is not None:
            exchange.capture.response_body = body
        headers = [
            *_JSON_HEADERS,
            (b"content-length", str(len(body)).encode()),
            (b"x-ingate-request-id", exchange.request_id_bytes),
            *err.headers,
        ]
        with contextlib.suppress(OSError):
            await send({"type": "http.response.start", "status": err.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def check_body(
    record: RequestRecord, api: ApiPath, upstream: Upstream, key: KeyRecord, probe: RequestProbe
) -> None:
    """The model and stream flag onto the record, and whether the key and provider allow the model."""
    record.model = probe.model or ""
    stream = probe.stream
    record.stream = stream if stream is not None else api.endpoint.streams_by_default
    if not upstream.allows_model(probe.model):
        raise GatewayError(
            errors.PERMISSION,
            f"Model {record.model[:100]!r} is not allowed on provider {upstream.name!r}.",
        )
    check_model(key, probe.model)


def _check_route(record: RequestRecord, api: ApiPath, name: str, key: KeyRecord, probe: RequestProbe) -> None:
    """A route's name is what the key's model allow-list is checked against; each target's
    provider is checked against the key's provider list as it is tried."""
    record.route = record.model = name
    stream = probe.stream
    record.stream = stream if stream is not None else api.endpoint.streams_by_default
    check_model(key, name)


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


__all__ = ["Proxy", "check_body", "new_request_id"]
