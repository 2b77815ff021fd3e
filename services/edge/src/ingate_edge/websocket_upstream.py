"""A Responses WebSocket relayed to the provider's own, where the provider offers one.

A create that would go natively to a provider with `responses_websocket` on (no route, no
translation: the provider speaks the Responses API itself) is sent over ONE upstream
WebSocket per client socket, opened on the first such create (`GET {base_url}/responses`
upgraded, `ws`/`wss` for `http`/`https`) from the provider's pooled client session, with the
provider's credential and the headers the HTTP path forwards (`OpenAI-Beta` included; Ingate's
own, the caller's key and the socket's own never go). Every other create is bridged to the
HTTP streaming endpoint (websocket_bridge.py), on the same client socket.

Before a create goes up, the edge checks it as the proxy checks a POST (proxy.py, limits/):
the key (again, so a revoked key stops at the next create), the key's provider and model
lists, the provider's model list, the body limit, and the key's limits (`Proxy.admit`). A
refusal is an error frame in OpenAI's shape and nothing is sent upstream. Every upstream
frame is relayed as it came, `response.created` gaining the record's request id as the bridge
adds it; one record per response (endpoint `responses`, stream true), its usage read with the
openai format's usage reader from the frames (`response.completed`/`incomplete`/`failed`),
status 200, or the status of the provider's error frame.

`previous_response_id` and warmups stay the edge's (websocket_history.py): a follow-up of a
response the edge remembers goes up as the whole conversation, so a new upstream socket (after
the provider closed one) or a create bridged to HTTP loses nothing; the provider still caches
the repeated prefix. An id the edge does not know is sent on: the provider may know it.

Failures: the upstream socket cannot be opened → a 502 error frame (`upstream_unreachable`)
and a record; no silent fallback to HTTP, which would change the provider's behaviour under
the caller without it knowing (the next create tries to connect again). The provider closes
or breaks the socket mid-response → a 502 error frame, record 502 `upstream_stream_broken`,
and the next create opens a new socket. Silence longer than the provider's `read_timeout_s`
is the same with 504 `upstream_timeout`. The client leaves → the upstream socket is closed
and the record says 499.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
import msgspec
from yarl import URL

from ingate_contracts import RequestRecord
from ingate_edge import errors
from ingate_edge.answer import with_request_id_field
from ingate_edge.auth import authenticate_caller
from ingate_edge.detect import select_upstream
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.headers import InboundHeaders, split_headers
from ingate_edge.limits import check_provider
from ingate_edge.paths import ApiPath
from ingate_edge.probe import probe_body
from ingate_edge.proxy import Proxy, check_body, new_request_id
from ingate_edge.request_body import read_body
from ingate_edge.upstream import Upstream
from ingate_edge.websocket_bridge import error_frame
from ingate_edge.websocket_history import FinishedResponse, decode_finished

log = logging.getLogger("ingate.edge.websocket")

Message = dict[str, Any]
SendText = Callable[[str], Awaitable[None]]

_FINISHED: Final = frozenset({"response.completed", "response.incomplete", "response.failed"})
_CONTINUABLE: Final = frozenset({"response.completed", "response.incomplete"})
_NOT_FORWARDED_PREFIX: Final = "sec-websocket-"  # aiohttp negotiates its own socket
_NOT_FORWARDED: Final = frozenset({"origin", "content-type"})
# The largest upstream frame: a `response.completed` repeats the whole output.
_MAX_FRAME_BYTES: Final = 64 * 1024 * 1024
_JSON: Final = b"application/json"
_ENDED: Final = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class _Head(msgspec.Struct):
    type: str = ""
    status: int | None = None
    status_code: int | None = None


_decode_head = msgspec.json.Decoder(_Head).decode
_encode = msgspec.json.Encoder().encode


class UpstreamSockets:
    """The client socket's side of the upstream mode: which creates go up, and its one socket."""

    __slots__ = ("_api", "_inbound", "_proxy", "_session_id", "_socket", "_socket_upstream", "_user_id")

    def __init__(
        self,
        proxy: Proxy,
        api: ApiPath,
        raw_headers: list[tuple[bytes, bytes]],
        user_id: str,
        session_id: str,
    ) -> None:
        self._proxy = proxy
        self._api = api
        self._inbound: InboundHeaders = split_headers(raw_headers)
        self._user_id = user_id
        self._session_id = session_id
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._socket_upstream: Upstream | None = None

    def target(self, body: dict[str, Any]) -> Upstream | None:
        """The provider whose socket serves this create; None: bridge it to HTTP."""
        runtime = self._proxy.runtime
        model = body.get("model")
        if isinstance(model, str) and runtime.routes.get(model) is not None:
            return None
        inbound = self._inbound
        try:
            upstream = select_upstream(self._api, inbound.provider, runtime.upstreams, inbound.sdk)
        except GatewayError:
            return None  # the bridge answers it as the HTTP endpoint does
        if not upstream.responses_websocket or not upstream.accepts(self._api.format):
            return None
        return upstream

    async def create(
        self,
        upstream: Upstream,
        body: dict[str, Any],
        send_text: SendText,
        client_gone: Callable[[], Awaitable[Message]],
    ) -> FinishedResponse | None:
        """One response over the upstream socket; the finished response a follow-up may continue."""
        record = RequestRecord(
            ts=time.time(),
            request_id=new_request_id(),
            key_id="",
            user_id=self._user_id,
            session_id=self._session_id,
            provider=upstream.name,
            endpoint="responses",
            stream=True,
            attempts=0,
        )
        exchange = Exchange(record, self._api.format)
        relay = _Relay(exchange, send_text)
        try:
            await self._serve(exchange, upstream, body, relay, client_gone)
        except GatewayError as err:
            record.status, record.error_type = err.status, err.error_type
            if record.attempts:  # whatever the provider's socket was doing, it is not to be reused
                await self._drop()
            if relay.started:
                await send_text(error_frame(err.status, b"", relay.headers, err.error_type, err.message))
            else:
                await _send_refusal(exchange, send_text, err)
        except OSError:
            record.status, record.error_type = 499, "client_disconnected"
            await self._drop()
        except Exception:  # a bug: this response fails, the socket goes on serving
            log.exception("request %s failed", record.request_id)
            record.status, record.error_type = 500, "internal_error"
            await self._drop()
            await send_text(error_frame(500, b"", relay.headers, "internal_error", "Internal gateway error."))
        finally:
            exchange.settle(self._proxy.runtime)
        return relay.finished

    async def close(self) -> None:
        await self._drop()

    async def _serve(
        self,
        exchange: Exchange,
        upstream: Upstream,
        body: dict[str, Any],
        relay: "_Relay",
        client_gone: Callable[[], Awaitable[Message]],
    ) -> None:
        record = exchange.record
        data = _encode({"type": "response.create", **body})
        record.request_bytes = len(data)
        await _check_size(data, self._proxy.max_body)
        key = authenticate_caller(self._proxy.runtime.keys, self._inbound, record.ts)
        record.key_id = key.key_id
        check_provider(key, upstream.name)
        probe = probe_body(data, _JSON)
        check_body(record, self._api, upstream, key, probe)
        record.stream = True
        proxy = self._proxy
        if proxy.capture_all or key.log_payloads:  # as the proxy captures a POST (redacted, cut)
            exchange.capture = proxy.capturer.begin(self._api.endpoint.shape, data)
        if key.limited:
            exchange.admission = await self._proxy.admit(key, record, self._api, data, probe)
            exchange.admission.add_headers(relay.headers)
        record.attempts = 1
        socket = await self._connect(upstream)
        gone = asyncio.ensure_future(client_gone())
        relaying = asyncio.ensure_future(relay.run(socket, data, upstream))
        try:
            await asyncio.wait((gone, relaying), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not relaying.done():
                relaying.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relaying
        if relaying.cancelled():
            raise ConnectionResetError("the client left mid-response")
        relaying.result()  # its GatewayError or OSError, if any

    async def _connect(self, upstream: Upstream) -> aiohttp.ClientWebSocketResponse:
        socket = self._socket
        if socket is not None and not socket.closed and self._socket_upstream is upstream:
            return socket
        await self._drop()
        url = URL(upstream.url("/responses", b""), encoded=True)
        url = url.with_scheme("wss" if url.scheme == "https" else "ws")
        headers = [
            (name, value)
            for name, value in self._inbound.forward
            if not name.startswith(_NOT_FORWARDED_PREFIX) and name not in _NOT_FORWARDED
        ]
        headers.extend(upstream.auth_headers)
        try:
            socket = await upstream.websocket_session.ws_connect(
                url, headers=headers, autoping=True, max_msg_size=_MAX_FRAME_BYTES, compress=0
            )
        except TimeoutError:
            raise GatewayError(
                errors.UPSTREAM_TIMEOUT, f"Provider {upstream.name!r} did not open its WebSocket in time."
            ) from None
        except aiohttp.WSServerHandshakeError as exc:
            log.warning("provider %s refused the WebSocket: HTTP %s", upstream.name, exc.status)
            raise GatewayError(
                errors.UPSTREAM_UNREACHABLE,
                f"Provider {upstream.name!r} refused the WebSocket (HTTP {exc.status}).",
            ) from None
        except aiohttp.ClientError as exc:
            log.warning("provider %s unreachable over WebSocket: %s", upstream.name, type(exc).__name__)
            raise GatewayError(
                errors.UPSTREAM_UNREACHABLE, f"Cannot reach provider {upstream.name!r} over WebSocket."
            ) from None
        self._socket, self._socket_upstream = socket, upstream
        return socket

    async def _drop(self) -> None:
        socket, self._socket, self._socket_upstream = self._socket, None, None
        if socket is not None:
            with contextlib.suppress(Exception):  # closing what is already broken
                await socket.close()


class _Relay:
    """The upstream frames of one response, relayed to the client and read for the record."""

    __slots__ = ("_exchange", "_send_text", "finished", "headers", "started")

    def __init__(self, exchange: Exchange, send_text: SendText) -> None:
        self._exchange = exchange
        self._send_text = send_text
        self.headers: list[tuple[bytes, bytes]] = [(b"x-ingate-request-id", exchange.request_id_bytes)]
        self.started = False  # a frame has gone to the client
        self.finished: FinishedResponse | None = None

    async def run(self, socket: aiohttp.ClientWebSocketResponse, data: bytes, upstream: Upstream) -> None:
        exchange = self._exchange
        record = exchange.record
        try:
            await socket.send_str(data.decode())
        except (aiohttp.ClientError, ConnectionError):
            raise _broken(upstream) from None
        fmt, meter = exchange.dialect, exchange.meter
        meter.streamed = True
        # The frames are the Responses stream's events: kept as the one response they add up to.
        capture = exchange.capture
        assembly = capture.sse(capture.shape) if capture is not None else None
        while True:
            try:
                message = await socket.receive(timeout=upstream.read_timeout_s)
            except TimeoutError:
                raise GatewayError(
                    errors.UPSTREAM_TIMEOUT,
                    f"Provider {upstream.name!r} sent nothing for {upstream.read_timeout_s:g}s.",
                ) from None
            if message.type in _ENDED or message.type == aiohttp.WSMsgType.ERROR:
                raise _broken(upstream)
            if message.type != aiohttp.WSMsgType.TEXT:
                continue  # the Responses WebSocket sends text frames only
            text: str = message.data
            try:
                head = _decode_head(text)
            except msgspec.DecodeError:
                head = _Head()
            if not self.started:
                record.upstream_ms = record.ttfb_ms = (time.perf_counter() - exchange.t0) * 1000.0
            meter.read_event(fmt, text, fmt.usage_marker in text)
            record.response_bytes += len(text)
            if head.type == "error":
                status = head.status or head.status_code or 500
                record.status, record.error_type = status, f"upstream_{status}"
                text = _with_request_id_header(text, record.request_id)
                if capture is not None:  # an error is kept as the caller got it
                    capture.stream, capture.response_body = None, text.encode()
                await self._send(text)
                return
            if head.type == "response.created" and not self.started:
                text = with_request_id_field(text.encode(), record.request_id).decode()
            await self._send(text)
            if assembly is not None:
                assembly.feed([(head.type, text)])
            if head.type in _FINISHED:
                record.status = 200
                if head.type in _CONTINUABLE:
                    with contextlib.suppress(msgspec.DecodeError):
                        self.finished = decode_finished(text).response
                return

    async def _send(self, text: str) -> None:
        self.started = True
        self._exchange.started = True
        await self._send_text(text)


def _broken(upstream: Upstream) -> GatewayError:
    return GatewayError(
        errors.UPSTREAM_STREAM_BROKEN, f"Provider {upstream.name!r} closed its WebSocket mid-response."
    )


async def _check_size(data: bytes, max_body: int) -> None:
    """The body limit of a POST, with its 413 (request_body.py's)."""

    async def whole() -> Message:
        return {"type": "http.request", "body": data, "more_body": False}

    await read_body("POST", b"%d" % len(data), whole, max_body)


async def _send_refusal(exchange: Exchange, send_text: SendText, err: GatewayError) -> None:
    request_id = exchange.record.request_id
    log.warning("request %s refused: %s", request_id, err.message)
    body = exchange.dialect.error_body(err.kind, err.message, request_id)
    headers = [(b"x-ingate-request-id", exchange.request_id_bytes), *err.headers]
    await send_text(error_frame(err.status, body, headers))


def _with_request_id_header(text: str, request_id: str) -> str:
    """The provider's error frame with the record's request id, as the edge's own carry it."""
    try:
        frame = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text
    if not isinstance(frame, dict):
        return text
    headers = frame.get("headers")
    frame["headers"] = {**(headers if isinstance(headers, dict) else {}), "x-ingate-request-id": request_id}
    return _encode(frame).decode()
