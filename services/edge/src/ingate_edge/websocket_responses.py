"""The Responses API over WebSocket (`GET /v1/responses` upgraded), as Codex opens it first.

The protocol is OpenAI's "WebSocket mode" of the Responses API, as its guide and Codex's
client (codex-rs `responses_websocket.rs`, `common.rs`) speak it:

- The upgrade request carries the key (`Authorization: Bearer` or `x-api-key`) and, from
  Codex, `OpenAI-Beta: responses_websockets=…`. The key is checked before the upgrade is
  accepted: a bad, revoked or expired key gets its HTTP 401 (JSON, OpenAI's envelope, with
  `X-Ingate-Request-Id`) instead of `101`, which Codex reports as the HTTP error it is.
- The client sends text frames `{"type": "response.create", …}` whose other fields are the
  top-level fields of a `POST /v1/responses` body (`model`, `input`, `instructions`, `tools`,
  …; `stream` is implied). It receives the events the SSE stream carries
  (`response.created` … `response.completed`), one JSON text frame each, and may then send
  the next create: responses run one at a time per connection.
- Errors are frames `{"type": "error", "status": N, "error": {"type", "code", "message",
  "param"}, "headers": {…}}`; Codex reads `status` (or `status_code`) and `error.code`. The
  connection stays open after one.
- `generate: false` (Codex's prewarm) asks for no output and answers a response id to chain
  from; `previous_response_id` continues one of the connection's recent responses even with
  `store: false` (websocket_history.py). `response.processed`, an acknowledgement some Codex
  versions send, needs no answer. `background: true` is refused, as OpenAI refuses it here.
- Newer parts of OpenAI's protocol that Codex does not send: a create's `stream_id` (a lane)
  is echoed in every frame answering it, lanes being served one response at a time like the
  rest of the socket (so each lane's order holds); `response.steer` is answered with
  `response.steer.failed`, code `steering_not_supported` (the edge queues no input into a
  running response; the client sends it with its next create).

Each create is served by the same code as `POST /v1/responses` with `stream: true`
(websocket_bridge.py), so provider choice (`X-Ingate-Provider` on the upgrade request, routes
by model name), translation, limits, records and errors are the HTTP endpoint's; each response
is one record (endpoint `responses`, stream true). A create that goes natively to a provider
offering the Responses API over WebSocket (`responses_websocket`, OpenAI's own API by default)
is relayed over one upstream WebSocket per socket instead (websocket_upstream.py), with the
same checks, records and error frames; routes, translated providers and the others are bridged.
Either way `previous_response_id` continuation and warmups are the edge's, replayed from its own
memory of the socket's responses (providers still prompt-cache the repeated prefix).

Hostile or broken clients: a frame larger than the edge's body limit (plus the event's
envelope) closes the socket with 1009 (uvicorn's check, before the frame is buffered whole);
a create whose body exceeds the limit gets a 413 error frame; binary, non-JSON and unknown
frames get a 400 error frame (recorded, as a malformed HTTP request is); a client that leaves
mid-response is recorded as 499 and the upstream request is cancelled; sockets count against
the front door's connection limit; a socket with nothing under way and nothing received for
`edge.websocket_idle_timeout_s` is closed (1000), and uvicorn's pings close dead ones. Frames
are not compressed (no permessage-deflate): a compressed frame could inflate far past the limit
before anything can measure it.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec

from ingate_contracts import KeyRecord, RequestRecord
from ingate_edge import errors
from ingate_edge.auth import authenticate_caller
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.headers import split_headers
from ingate_edge.paths import PATHS, guess_dialect
from ingate_edge.proxy import Proxy, new_request_id
from ingate_edge.runtime import EdgeRuntime
from ingate_edge.websocket_bridge import ResponseRelay, error_frame
from ingate_edge.websocket_history import FinishedResponse, History, input_items, warmup_response
from ingate_edge.websocket_upstream import UpstreamSockets
from ingate_providers import ErrorKind

log = logging.getLogger("ingate.edge.websocket")

Message = dict[str, Any]
SendText = Callable[[str], Awaitable[None]]

# The paths on which an upgrade becomes a Responses WebSocket (elsewhere it is an ordinary
# request), and the dialect each answers errors in.
_DIALECTS: Final = {p: api.format for p, api in PATHS.items() if api.endpoint.shape == "openai-responses"}
WEBSOCKET_PATHS: Final = frozenset(_DIALECTS)
# Room for the frame's own fields beside the body it carries (`"type":"response.create"`).
FRAME_ENVELOPE_BYTES: Final = 64 * 1024

# Upgrade headers that describe the socket, not the request each create becomes.
_SOCKET_HEADER_PREFIX: Final = b"sec-websocket-"
_BETA_SOCKET: Final = b"responses_websockets"
_JSON: Final = (b"content-type", b"application/json")
_encode = msgspec.json.Encoder().encode


class ResponsesSockets:
    """The ASGI app of the `websocket` scope: one Responses WebSocket per call."""

    def __init__(self, runtime: EdgeRuntime, proxy: Proxy) -> None:
        self.runtime = runtime
        self.proxy = proxy
        self.idle_timeout_s = runtime.settings.edge.websocket_idle_timeout_s

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await _Socket(self, scope, receive, send).serve()


class _Socket:
    __slots__ = (
        "_app",
        "_base_scope",
        "_dialect",
        "_gone",
        "_headers",
        "_held",
        "_history",
        "_key",
        "_receive",
        "_scope",
        "_send",
        "_session_id",
        "_upstream",
        "_user_id",
    )

    def __init__(self, app: ResponsesSockets, scope: Message, receive: Any, send: Any) -> None:
        self._app = app
        self._scope = scope
        self._receive = receive
        self._send = send
        self._history = History()
        self._dialect = _DIALECTS.get(scope["path"]) or guess_dialect(scope["path"])
        self._held: Message | None = None  # a frame that came while a response was under way
        self._gone = False
        self._key: KeyRecord | None = None
        self._user_id = self._session_id = ""
        self._upstream: UpstreamSockets | None = None  # once admitted: creates a provider socket serves
        self._headers = _request_headers(scope["headers"])
        self._base_scope: Message = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https" if scope.get("scheme") == "wss" else "http",
            "path": scope["path"],
            "raw_path": scope.get("raw_path", scope["path"].encode()),
            "query_string": scope.get("query_string", b""),
            "root_path": scope.get("root_path", ""),
            "server": scope.get("server"),
            "client": scope.get("client"),
        }

    async def serve(self) -> None:
        request_id = new_request_id()
        try:
            self._admit()
        except GatewayError as err:
            await self._reject(request_id, err)
            return
        await self._send(
            {"type": "websocket.accept", "headers": [(b"x-ingate-request-id", request_id.encode())]}
        )
        while not self._gone:
            message = await self._next_message()
            if message is None:
                break
            kind = message["type"]
            if kind == "websocket.disconnect":
                break
            if kind != "websocket.receive":
                continue
            text = message.get("text")
            if text is None:
                await self._refuse(
                    errors.INVALID_REQUEST, "Binary frames are not accepted: send JSON text frames."
                )
                continue
            await self._on_frame(text)
        if self._upstream is not None:
            await self._upstream.close()

    def _admit(self) -> None:
        """The key of the upgrade request, checked before the socket is accepted."""
        if self._scope["path"] not in WEBSOCKET_PATHS:
            raise GatewayError(errors.NOT_FOUND, f"No WebSocket is served at {self._scope['path'][:200]!r}.")
        inbound = split_headers(self._scope["headers"])
        runtime = self._app.runtime
        key = authenticate_caller(runtime.keys, inbound, time.time())
        self._key = key
        # For the records of refused frames; each create's own record is the proxy's.
        self._user_id = _text(inbound.user_id) or key.user_id
        self._session_id = _text(inbound.session_id)
        api = PATHS[self._scope["path"]]
        self._upstream = UpstreamSockets(
            self._app.proxy, api, self._scope["headers"], self._user_id, self._session_id
        )

    async def _next_message(self) -> Message | None:
        """The next frame with no response under way; None when the socket has idled too long."""
        held = self._held
        if held is not None:
            self._held = None
            return held
        timeout = self._app.idle_timeout_s
        try:
            return await asyncio.wait_for(self._receive(), timeout)
        except TimeoutError:
            await self._send({"type": "websocket.close", "code": 1000, "reason": f"idle for {timeout:g}s"})
            return None

    async def _next_during_response(self) -> Message:
        """What the proxy's disconnect watcher waits for: returns only once the client is gone."""
        while True:
            if self._held is not None:
                await asyncio.Event().wait()  # one frame waits already: read no more until the end
            message: Message = await self._receive()
            if message["type"] == "websocket.disconnect":
                self._gone = True
                return message
            self._held = message

    async def _on_frame(self, text: str) -> None:
        try:
            event = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            await self._refuse(errors.INVALID_REQUEST, f"Frame is not valid JSON: {exc}.")
            return
        if not isinstance(event, dict):
            await self._refuse(errors.INVALID_REQUEST, "Frame is not a JSON object.")
            return
        kind = event.pop("type", None)
        if kind == "response.create":
            await self._create(event)
        elif kind == "response.steer":
            await self._send_text(_steer_failed(event.get("input")))
        elif kind != "response.processed":  # an acknowledgement: nothing to answer
            shown = kind[:100] if isinstance(kind, str) else kind
            await self._refuse(
                errors.INVALID_REQUEST,
                f"Unsupported event type {shown!r}: this socket accepts 'response.create'.",
            )

    async def _create(self, body: dict[str, Any]) -> None:
        generate = body.pop("generate", True)
        lane = body.pop("stream_id", None)
        if body.pop("background", None):
            await self._refuse(
                errors.INVALID_REQUEST, "Background responses are not supported over WebSocket."
            )
            return
        if lane is not None and not isinstance(lane, str):
            await self._refuse(errors.INVALID_REQUEST, "stream_id must be a string.")
            return
        send_text = self._send_text if lane is None else self._lane_sender(lane)
        self._history.expand(body)
        sent = input_items(body.get("input"))
        if generate is False:
            await self._warm_up(body, sent, send_text)
            return
        upstream = None if self._upstream is None else self._upstream.target(body)
        if upstream is not None and self._upstream is not None:
            finished = await self._upstream.create(upstream, body, send_text, self._next_during_response)
        else:
            finished = await self._bridge(body, send_text)
        if finished is not None and finished.id:
            self._history.remember(finished.id, sent, finished.output)

    async def _bridge(self, body: dict[str, Any], send_text: SendText) -> FinishedResponse | None:
        """The create as `POST /v1/responses` with `stream: true` (websocket_bridge.py)."""
        body["stream"] = True
        data = _encode(body)
        scope = {**self._base_scope, "headers": [*self._headers, (b"content-length", b"%d" % len(data))]}
        relay = ResponseRelay(data, send_text, self._next_during_response)
        await relay.run(self._app.proxy, scope)
        return relay.finished

    async def _warm_up(self, body: dict[str, Any], sent: list[Any], send_text: SendText) -> None:
        response = warmup_response(body)
        for number, kind in enumerate(("response.created", "response.completed")):
            await send_text(_encode({"type": kind, "sequence_number": number, "response": response}).decode())
        self._history.remember(response["id"], sent, [])

    async def _send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    def _lane_sender(self, lane: str) -> SendText:
        """Sends frames that echo the create's `stream_id`, as each event of its lane does.

        Lanes are served one response at a time like everything on the socket (FIFO holds)."""
        head = '{"stream_id":' + _encode(lane).decode() + ","

        async def send_text(text: str) -> None:
            await self._send_text(head + text[1:] if text.startswith("{") else text)

        return send_text

    async def _refuse(self, kind: ErrorKind, message: str) -> None:
        """An error frame for a frame the edge cannot serve, recorded as a refused request."""
        request_id = new_request_id()
        log.warning("request %s refused: %s", request_id, message)
        self._settle(request_id, kind)
        body = self._dialect.error_body(kind, message, request_id)
        await self._send_text(error_frame(kind.status, body, [(b"x-ingate-request-id", request_id.encode())]))

    async def _reject(self, request_id: str, err: GatewayError) -> None:
        """Refuse the upgrade itself with the HTTP answer a POST would have got."""
        log.warning("request %s refused: %s", request_id, err.message)
        self._settle(request_id, err.kind, method="GET")
        body = self._dialect.error_body(err.kind, err.message, request_id)
        headers = [
            _JSON,
            (b"content-length", b"%d" % len(body)),
            (b"x-ingate-request-id", request_id.encode()),
            *err.headers,
        ]
        await self._send({"type": "websocket.http.response.start", "status": err.status, "headers": headers})
        await self._send({"type": "websocket.http.response.body", "body": body})

    def _settle(self, request_id: str, kind: ErrorKind, method: str = "POST") -> None:
        key = self._key
        record = RequestRecord(
            ts=time.time(),
            request_id=request_id,
            key_id="" if key is None else key.key_id,
            user_id=self._user_id,
            session_id=self._session_id,
            endpoint="responses",
            method=method,
            status=kind.status,
            stream=True,
            error_type=kind.code,
            attempts=0,
        )
        Exchange(record, self._dialect).settle(self._app.runtime)


def _request_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upgrade request's headers as those of each create's POST (minus the socket's own)."""
    kept = [
        (name, value)
        for name, value in raw
        if not name.startswith(_SOCKET_HEADER_PREFIX)
        and not (name == b"openai-beta" and value.strip().startswith(_BETA_SOCKET))
        and name not in (b"content-type", b"content-length")
    ]
    kept.append(_JSON)
    return kept


def _steer_failed(steer_input: Any) -> str:
    """The answer to `response.steer`: the edge queues no input into a running response."""
    error = {
        "type": "invalid_request_error",
        "code": "steering_not_supported",
        "message": "Ingate does not steer responses: send this input with the next response.create.",
    }
    event = {
        "type": "response.steer.failed",
        "sequence_number": 0,
        "error": error,
        "steer": {"input": steer_input},
    }
    return _encode(event).decode()


def _text(value: bytes | None) -> str:
    return "" if not value else value.decode("utf-8", "replace").strip()[:256]


__all__ = ["FRAME_ENVELOPE_BYTES", "WEBSOCKET_PATHS", "ResponsesSockets"]
