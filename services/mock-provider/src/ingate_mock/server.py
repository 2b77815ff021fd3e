"""The mock's HTTP server: uvicorn, with an API port that can refuse connections.

A provider deployment that is down refuses TCP connections, and no ASGI app can
do that: it can only answer or break a response it has started. So the server
plays it, on two ports. The API port serves the providers' routes and the
control API; the control port serves the control API and ``/healthz`` alone.

Refusing (``refuse_connections`` in the schedule) closes the API port's
listening socket and resets the connections open on it, so a new connection
fails with ECONNREFUSED (``httpx.ConnectError``) and a kept-alive one fails at
once instead of going on being served. The port is bound again straight away
without listening, which refuses just the same and keeps the port for this
instance; accepting again listens on that socket. The control port is never
touched, so it is the way to end a refusal.

Once both listen, two lines go to stdout, the control one first so that whoever
waits for the second has both::

    mock-provider control on http://HOST:PORT
    mock-provider listening on http://HOST:PORT
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys

import uvicorn

from ingate_mock.app import create_app
from ingate_mock.options import MockOptions
from ingate_mock.schedule import Faults

READY_PREFIX = "mock-provider listening on"
CONTROL_PREFIX = "mock-provider control on"

log = logging.getLogger("uvicorn.error")


class MockServer(uvicorn.Server):
    """One mock instance: its fault schedule, its app and its two ports."""

    def __init__(self, options: MockOptions) -> None:
        self.options = options
        self.faults = Faults(options.faults)
        self._control_port: int | None = None
        self._api_port = options.port
        self._api: asyncio.Server | None = None  # while accepting
        self._reserved: socket.socket | None = None  # while refusing: bound, not listening
        config = uvicorn.Config(
            create_app(options, self.faults, door=self),
            host=options.host,
            port=options.port,
            loop="uvloop",
            http="httptools",
            ws="wsproto",  # OpenAI's Responses API over WebSocket (openai_responses_ws.py)
            lifespan="on",
            access_log=False,
            log_level="warning",
            server_header=False,
            # open streams get this long to finish on shutdown, then are cancelled
            timeout_graceful_shutdown=2,
        )
        super().__init__(config)

    @property
    def control_port(self) -> int | None:
        return self._control_port

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:  # noqa: ARG002
        # uvicorn's signature; this server binds its own two sockets whatever it is given
        host = self.options.host
        try:
            api = _bind(host, self.options.port)
            control = _bind(host, self.options.control_port)
        except OSError as exc:
            log.error("mock-provider cannot listen: %s", exc)
            sys.exit(1)
        # uvicorn serves sockets it is given as they are, so the API port's is ours to close
        await super().startup(sockets=[api])
        if not self.started:
            control.close()
            return
        self._api = self.servers[0]
        self._api_port = api.getsockname()[1]
        loop = asyncio.get_running_loop()
        backlog = self.config.backlog
        self.servers.append(await loop.create_server(self._protocol, sock=control, backlog=backlog))
        self._control_port = control.getsockname()[1]
        if self.faults.refusing:
            await self.refuse(None)
        shown = f"[{host}]" if ":" in host else host
        print(f"{CONTROL_PREFIX} http://{shown}:{self._control_port}", flush=True)
        print(f"{READY_PREFIX} http://{shown}:{self._api_port}", flush=True)

    async def refuse(self, keep: tuple[str, int] | None) -> None:
        """Stop accepting on the API port and reset its connections, except the
        one from ``keep`` (a control request's, which is answered and then closed)."""
        api = self._api
        if api is None:
            return
        api.close()
        self.servers.remove(api)
        self._api = None
        self._reserved = _bind(self.options.host, self._api_port)
        for connection in list(self.server_state.connections):
            # uvloop's transports are not asyncio.Transport subclasses, so no isinstance here
            transport = connection.transport
            if transport.is_closing():
                continue
            if _port(transport.get_extra_info("sockname")) != self._api_port:
                continue
            peer = transport.get_extra_info("peername")
            if keep is not None and peer is not None and (str(peer[0]), int(peer[1])) == keep:
                continue
            transport.abort()

    async def accept(self) -> None:
        """Listen on the API port again."""
        reserved = self._reserved
        if reserved is None:
            return
        loop = asyncio.get_running_loop()
        self._api = await loop.create_server(self._protocol, sock=reserved, backlog=self.config.backlog)
        self._reserved = None
        self.servers.append(self._api)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        await super().shutdown(sockets=sockets)

    def _protocol(self) -> asyncio.Protocol:
        """A connection's protocol, built as uvicorn's own startup builds it (it
        keeps that factory to itself, and listeners opened later need one)."""
        return self.config.http_protocol_class(  # type: ignore[call-arg]  # the class takes these
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port), not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            # as asyncio does: the port binds again while closed connections linger in TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _port(address: object) -> int | None:
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        return address[1]
    return None
