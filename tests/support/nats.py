"""A real nats-server with JetStream on a free loopback port, for as long as a block needs it."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ingate_nats import NatsServer
from tests.support.processes import free_port


@contextlib.contextmanager
def running_nats(store_dir: Path) -> Iterator[NatsServer]:
    """A server keeping its JetStream data in `store_dir`, stopped (for sure) at the end."""
    server = NatsServer("127.0.0.1", free_port(), store_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
