"""The edge's HTTP front door: uvicorn's httptools protocol with the limits a public listener needs.

- A connection that sends nothing is closed after uvicorn's keep-alive timeout, as an idle one is.
- A request's headers must be complete within `header_timeout_s` of its first byte: else 408.
- An incomplete request body may pause at most `body_timeout_s`: then the connection is closed,
  and the proxy, waiting for the body, sees the client go (its record says 499).
- Headers still arriving past twice `max_header_bytes` get 431 (the proxy checks the exact size).
- A request the HTTP parser refuses gets a JSON 400 in the caller's dialect instead of uvicorn's
  plain text.
- Connections beyond `max_connections` get a JSON 503.
- Only `GET /v1/responses` (and `/responses`) is upgraded to a WebSocket; an upgrade request
  for any other path, or over the connection limit, stays an ordinary request.

Every answer here carries a request id (header and body) and `connection: close`. The cost on
the common path is nothing per request that arrives in one read: a timer is armed only when a
read leaves a request incomplete, one per connection at most, and it is re-armed lazily from the
time of the last read rather than on every read.
"""

import asyncio
import logging
import resource
from typing import Any, ClassVar, Final

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from ingate_config import EdgeConfig
from ingate_edge import errors
from ingate_edge.paths import guess_dialect
from ingate_edge.proxy import new_request_id
from ingate_edge.websocket_responses import WEBSOCKET_PATHS
from ingate_providers import ErrorKind

log = logging.getLogger("ingate.edge.front_door")

# Where the parser is in the current request.
_IDLE: Final = 0  # between requests, or the request is whole and the app has it
_HEADERS: Final = 1  # the request's first byte came, its headers are not complete
_BODY: Final = 2  # headers complete, body incomplete
_UPGRADED_PATHS: Final = frozenset(path.encode() for path in WEBSOCKET_PATHS)


class FrontDoor(HttpToolsProtocol):
    edge: ClassVar[EdgeConfig] = EdgeConfig()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.url = b""  # uvicorn sets it per request; a refused first request line may have none
        self._phase = _IDLE
        self._mark = 0.0  # HEADERS: the time of the first byte; BODY: the time of the last read
        self._header_bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.edge.max_connections:
            self.app = self._too_many_connections
        # uvicorn arms its keep-alive timer only after a response; a silent new connection is idle too.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._stop_watch()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            self._refuse(errors.INVALID_REQUEST, "Malformed HTTP request: unreadable request line.")
            return
        except httptools.HttpParserError as exc:
            self._refuse(errors.INVALID_REQUEST, f"Malformed HTTP request: {exc}.")
            return
        except httptools.HttpParserUpgrade:  # as uvicorn: WebSocket if configured, else ignored
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        if self._phase != _IDLE:
            self._watch(len(data))

    # Upgrades (asked only for requests with an Upgrade header: nothing on the common path).
    def _should_upgrade(self) -> bool:
        return (
            self.scope.get("method") == "GET"
            and self.url.partition(b"?")[0] in _UPGRADED_PATHS
            and self.app != self._too_many_connections
            and super()._should_upgrade()
        )

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        self._stop_watch()  # the connection is the WebSocket's now: no HTTP timeouts on it

    # Parser callbacks: where the current request is.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = _HEADERS
        self._mark = 0.0
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._phase = _BODY
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._phase = _IDLE
        super().on_message_complete()

    # Timeouts.
    def _watch(self, received: int) -> None:
        """After a read that left the request incomplete: make sure a timer will look at it."""
        now = self.loop.time()
        if self._phase == _HEADERS:
            self._header_bytes += received
            if self._header_bytes > 2 * self.edge.max_header_bytes:
                self._refuse(
                    errors.HEADERS_TOO_LARGE,
                    f"Request headers exceed the limit of {self.edge.max_header_bytes} bytes.",
                )
                return
            if not self._mark:
                self._mark = now
            deadline = self._mark + self.edge.header_timeout_s
        else:
            self._mark = now
            deadline = now + self.edge.body_timeout_s
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._timer = None
        phase = self._phase
        if phase == _IDLE or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused or (phase == _HEADERS and not self._answered()):
            self._mark = now  # the edge is not reading (busy with an earlier request): not the client's delay
        timeout = self.edge.header_timeout_s if phase == _HEADERS else self.edge.body_timeout_s
        deadline = self._mark + timeout
        if now < deadline:
            self._timer = self.loop.call_at(deadline, self._expire)
        elif phase == _HEADERS:
            self._refuse(errors.REQUEST_TIMEOUT, f"Request headers were not complete within {timeout:g}s.")
        else:
            log.warning("closing a connection: no request body byte for %gs", timeout)
            self._phase = _IDLE
            self.transport.close()  # the app waiting for the body sees a disconnect

    def _stop_watch(self) -> None:
        self._phase = _IDLE
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _answered(self) -> bool:
        cycle = self.cycle
        return cycle is None or cycle.response_complete

    # Refusals.
    def _refuse(self, kind: ErrorKind, message: str) -> None:
        """Answer in the caller's dialect (from the path, when the parser got that far) and close."""
        # No answer if the app already answers this request, or an earlier response is unfinished.
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # the app has this request
            answerable = not cycle.response_started
        else:
            answerable = self._answered()
        self._stop_watch()
        transport = self.transport
        if answerable:
            request_id = new_request_id()
            log.warning("request %s refused: %s", request_id, message)
            path = self.url.partition(b"?")[0].decode("latin-1")
            body = guess_dialect(path).error_body(kind, message, request_id)
            head = [STATUS_LINE[kind.status]]
            head.extend(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers)
            head.append(
                b"content-type: application/json\r\ncontent-length: %d\r\n"
                b"x-ingate-request-id: %s\r\nconnection: close\r\n\r\n" % (len(body), request_id.encode())
            )
            head.append(body)
            transport.write(b"".join(head))
        transport.close()

    async def _too_many_connections(self, scope: Any, _receive: Any, send: Any) -> None:
        """The app of a connection over the limit: 503 to its request, then the connection closes."""
        request_id = new_request_id()
        log.warning("request %s refused: over the connection limit", request_id)
        limit = self.edge.max_connections
        body = guess_dialect(scope["path"]).error_body(
            errors.TOO_MANY_CONNECTIONS,
            f"This Ingate edge is at its limit of {limit} connections; retry shortly.",
            request_id,
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-ingate-request-id", request_id.encode()),
            (b"retry-after", b"1"),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def front_door(edge: EdgeConfig) -> type[FrontDoor]:
    """The protocol class for uvicorn's `http=`, with this edge's limits."""
    return type("ConfiguredFrontDoor", (FrontDoor,), {"edge": edge})


def raise_open_files_limit(wanted: int) -> None:
    """Lift the soft limit on open files to the hard one, so `max_connections` can be reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard != resource.RLIM_INFINITY and hard < wanted:
        log.warning(
            "open files are limited to %d, below edge.max_connections (%d): raise the hard limit",
            hard,
            wanted,
        )
