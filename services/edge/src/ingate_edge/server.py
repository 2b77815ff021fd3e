"""Run the edge under uvicorn (uvloop + httptools: the fastest pair measured here)."""

import gc
import logging
import socket

import uvicorn

from ingate_config import Settings
from ingate_edge.app import create_app
from ingate_edge.front_door import front_door
from ingate_edge.websocket_responses import FRAME_ENVELOPE_BYTES

log = logging.getLogger("ingate.edge")


def build_server(settings: Settings, worker: int = 0, wait_ready_s: float = 0.0) -> uvicorn.Server:
    app = create_app(settings, worker=worker, wait_ready_s=wait_ready_s)
    config = uvicorn.Config(
        app,
        host=settings.edge.host,
        port=settings.edge.port,
        loop="uvloop",
        http=front_door(settings.edge),  # uvicorn's httptools protocol with the edge's limits
        # The Responses WebSocket (the front door upgrades no other path): a frame carries at
        # most a request body; uncompressed, so a frame's size is what arrives.
        ws="wsproto",
        ws_max_size=settings.edge.max_body_bytes + FRAME_ENVELOPE_BYTES,
        ws_per_message_deflate=False,
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the edge uses no client address; skip X-Forwarded-* processing
        server_header=False,
        log_level="warning",
        log_config=None,  # uvicorn's loggers go through the process's handler (JSON lines by default)
        timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=settings.edge.max_header_bytes * 2,
    )
    return uvicorn.Server(config)


def serve(
    settings: Settings, sock: socket.socket | None = None, worker: int = 0, wait_ready_s: float = 0.0
) -> None:
    """Serve until SIGINT/SIGTERM, on `sock` when given (shared by the workers), else on host:port.

    `worker` tells the processes that share one port apart (their record spools); a worker
    given `wait_ready_s` takes no connection before NATS and the keys are there, for at most
    that long, so the workers already serving answer its share meanwhile."""
    server = build_server(settings, worker, wait_ready_s)
    # Everything built so far lives as long as the process: move it out of the collector's way.
    # Full collections rescanning these objects caused ~50 ms pauses under load (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    log.warning("ingate edge listening on http://%s:%d", settings.edge.host, settings.edge.port)
    server.run(sockets=None if sock is None else [sock])
