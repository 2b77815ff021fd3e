"""HTTP/1.1 over a plain socket, for requests no HTTP client would send."""

import select
import socket
import time
from urllib.parse import urlsplit

import httpx


def open_socket(url: str, timeout_s: float = 20.0) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout_s)


def read_until_closed(sock: socket.socket, timeout_s: float = 20.0) -> bytes:
    """Everything the server sends until it closes the connection; fails if it never does."""
    deadline = time.monotonic() + timeout_s
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"the server kept the connection open for {timeout_s}s; got {bytes(received)!r}"
            )
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return bytes(received)
        if not chunk:
            return bytes(received)
        received += chunk


def trickle(sock: socket.socket, pieces: list[bytes], every_s: float) -> bool:
    """Send the pieces one by one, `every_s` apart; False when the server closed or answered first."""
    for index, piece in enumerate(pieces):
        if index:
            readable, _, _ = select.select([sock], [], [], every_s)
            if readable:
                return False
        try:
            sock.sendall(piece)
        except OSError:
            return False
    return True


def parse_response(raw: bytes) -> httpx.Response:
    """The first HTTP response in `raw`, as an httpx.Response (its body by Content-Length)."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep, f"no complete response in {raw!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(":", 1)) for line in lines]
    pairs = [(name.strip(), value.strip()) for name, value in headers]
    length = int(dict((n.lower(), v) for n, v in pairs).get("content-length", len(rest)))
    return httpx.Response(int(status_line.split(" ")[1]), headers=pairs, content=rest[:length])


def exchange(url: str, request: bytes, timeout_s: float = 20.0) -> tuple[httpx.Response, bytes]:
    """Send raw bytes, read until the server closes; the response and everything it sent."""
    with open_socket(url, timeout_s) as sock:
        sock.sendall(request)
        raw = read_until_closed(sock, timeout_s)
    return parse_response(raw), raw
