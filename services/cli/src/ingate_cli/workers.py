"""`INGATE_EDGE_WORKERS`: that many edge processes serving one listening socket.

The socket is bound once, by `ingate run` or by `ingate edge`, and each worker inherits
it. A busy port is therefore found before anything starts, and the port stays open
while a worker restarts: connections wait in the shared queue for a worker that is up
instead of being refused. Workers share limits, keys and budgets through NATS as any
two edges do.
"""

import argparse
import logging
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Final

from ingate_cli.listeners import PortBusy, bind_listener, local_url
from ingate_cli.supervisor import ChildSpec, ReadyProbe, Supervisor
from ingate_config import Settings

log = logging.getLogger("ingate.edge")

CHILD: Final = [sys.executable, "-m", "ingate_cli"]
# How long a supervised worker waits for NATS and the keys before it takes connections:
# the socket is shared, so until then the other workers (or the queue) serve its callers.
WORKER_READY_WAIT_S: Final = 15.0


def add_arguments(edge: argparse.ArgumentParser) -> None:
    # Set by the process that bound the socket; not for people.
    edge.add_argument("--socket-fd", type=int, help=argparse.SUPPRESS)
    edge.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)


def bind_edge_socket(settings: Settings) -> socket.socket:
    return bind_listener(settings.edge.host, settings.edge.port, "INGATE_EDGE")


def worker_specs(
    settings: Settings, sock: socket.socket, env: dict[str, str] | None, ready: ReadyProbe | None
) -> list[ChildSpec]:
    count = settings.edge.workers
    fd = sock.fileno()
    return [
        ChildSpec(
            name="edge" if count == 1 else f"edge-{index + 1}",
            command=[*CHILD, "edge", "--socket-fd", str(fd), "--worker", str(index)],
            env=env,
            ready=ready,
            pass_fds=(fd,),
        )
        for index in range(count)
    ]


def edge_ready_probe(settings: Settings) -> ReadyProbe:
    return http_probe(f"{local_url(settings.edge.host, settings.edge.port)}/readyz")


def http_probe(url: str) -> ReadyProbe:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - a loopback URL we built
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    return ready


def run_edge(args: argparse.Namespace, settings: Settings, serve: Callable[..., None]) -> int:
    """`ingate edge`: one worker in this process, or a supervisor of INGATE_EDGE_WORKERS of them."""
    if args.socket_fd is not None:
        serve(
            settings,
            socket.socket(fileno=args.socket_fd),
            worker=args.worker,
            wait_ready_s=WORKER_READY_WAIT_S,
        )
        return 0
    try:
        sock = bind_edge_socket(settings)
    except PortBusy as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    if settings.edge.workers == 1:
        serve(settings, sock)
        return 0
    return _supervise_workers(settings, sock)


def _supervise_workers(settings: Settings, sock: socket.socket) -> int:
    supervisor = Supervisor()
    supervisor.stop_on_signals()
    for spec in worker_specs(settings, sock, None, None):
        supervisor.start(spec)
    log.warning(
        "ingate edge: %d workers on http://%s:%d",
        settings.edge.workers,
        settings.edge.host,
        settings.edge.port,
    )
    try:
        supervisor.watch()
    finally:
        supervisor.stop()
        sock.close()
    return 0
