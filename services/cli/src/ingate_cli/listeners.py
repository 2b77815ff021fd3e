"""Listening sockets bound by the command that starts a service, and inherited by it.

The edge's and the admin service's ports are bound before any process starts, so a busy
port is one line and exit 1 with nothing started, and a port stays open while its service
restarts: connections wait in the queue for the successor instead of being refused.
"""

import errno
import socket
from typing import Final

_BACKLOG: Final = 4096


class PortBusy(RuntimeError):
    pass


def bind_listener(host: str, port: int, setting: str) -> socket.socket:
    """`setting` is the variables' prefix, e.g. INGATE_EDGE: the line names what to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=_BACKLOG)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortBusy(
                f"port {port} is already in use on {host} (set {setting}_PORT to use another)"
            ) from None
        raise PortBusy(f"cannot listen on {host}:{port} ({setting}_HOST/PORT): {exc.strerror}") from None


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a listener on `host`: loopback for a wildcard address."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
