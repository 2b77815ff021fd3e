"""The admin service as `ingate admin` and as a child of `ingate run`, on a socket bound for it.

Bound by the command that starts it (see listeners.py): a busy INGATE_ADMIN_PORT is one
line and exit 1 before anything starts, and the port stays open while the supervisor
restarts a crashed admin service.
"""

import argparse
import socket
import sys
from collections.abc import Callable

from ingate_cli.listeners import PortBusy, bind_listener, local_url
from ingate_cli.supervisor import ChildSpec
from ingate_cli.workers import CHILD, http_probe
from ingate_config import Settings

API_PATH = "/admin/v1/"


def add_arguments(admin: argparse.ArgumentParser) -> None:
    # Set by `ingate run`, which bound the socket; not for people.
    admin.add_argument("--socket-fd", type=int, help=argparse.SUPPRESS)


def bind_admin_socket(settings: Settings) -> socket.socket:
    return bind_listener(settings.admin.host, settings.admin.port, "INGATE_ADMIN")


def admin_url(settings: Settings) -> str:
    return local_url(settings.admin.host, settings.admin.port) + API_PATH


def admin_spec(settings: Settings, sock: socket.socket, env: dict[str, str]) -> ChildSpec:
    fd = sock.fileno()
    return ChildSpec(
        name="admin",
        command=[*CHILD, "admin", "--socket-fd", str(fd)],
        env=env,
        # The OpenAPI document answers without a token once NATS is connected and the app is up.
        ready=http_probe(admin_url(settings) + "openapi.json"),
        pass_fds=(fd,),
    )


def run_admin(args: argparse.Namespace, settings: Settings, serve: Callable[..., None]) -> int:
    if args.socket_fd is not None:
        serve(settings, socket.socket(fileno=args.socket_fd))
        return 0
    try:
        sock = bind_admin_socket(settings)
    except PortBusy as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        return 1
    serve(settings, sock)
    return 0
