"""Run the edge under uvicorn (uvloop + httptools: the fastest pair measured here)."""

import gc
import logging

import uvicorn

from ingate_config import Settings
from ingate_edge.app import create_app
from ingate_edge.front_door import front_door

log = logging.getLogger("ingate.edge")


def serve(settings: Settings) -> None:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.edge.host,
        port=settings.edge.port,
        loop="uvloop",
        http=front_door(settings.edge),  # uvicorn's httptools protocol with the edge's limits
        ws="none",  # the edge serves no WebSockets: an upgrade request is an ordinary request
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the edge uses no client address; skip X-Forwarded-* processing
        server_header=False,
        log_level="warning",
        log_config=None,  # uvicorn's loggers go through the process's handler (JSON lines by default)
        timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=settings.edge.max_header_bytes * 2,
    )
    server = uvicorn.Server(config)
    # Everything built so far lives as long as the process: move it out of the collector's way.
    # Full collections rescanning these objects caused ~50 ms pauses under load (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    log.warning("ingate edge listening on http://%s:%d", settings.edge.host, settings.edge.port)
    server.run()
