"""The admin listener is loopback only unless INGATE_ADMIN_HOST says otherwise.

Checked from this machine's own non-loopback IPv4 address: a connection there reaches
whatever listens on the wildcard address, so it tells a loopback-only listener from one
open to the network without leaving the machine.
"""

import contextlib
import fcntl
import ipaddress
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingate_nats import NatsServer
from tests.support.processes import INGATE, Service, clean_env, free_port, run_cli

_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address
# Private addresses to "connect" a UDP socket to: the kernel picks the source address of the
# route there, and a UDP connect sends nothing.
_ROUTE_PROBES = ("10.255.255.255", "172.31.255.255", "192.168.255.255")


def _candidates() -> set[str]:
    found: set[str] = set()
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
            request = struct.pack("256s", name.encode()[:15])
            found.add(socket.inet_ntoa(fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)[20:24]))
    with contextlib.suppress(OSError):
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for target in _ROUTE_PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
            sock.connect((target, 9))
            found.add(sock.getsockname()[0])
    return found


def _is_ours(address: str) -> bool:
    """Bindable here: an address of this machine, not merely one a resolver named."""
    with socket.socket() as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def outside_address() -> str:
    usable = sorted(
        a
        for a in _candidates()
        if not ipaddress.ip_address(a).is_loopback
        and not ipaddress.ip_address(a).is_unspecified
        and _is_ours(a)
    )
    if not usable:
        why = "this machine has no non-loopback IPv4 address (interfaces, host name and routes tried)"
        print(why, file=sys.stderr)
        pytest.skip(why)
    return usable[0]


@contextlib.contextmanager
def _admin(nats_server: NatsServer, logs_dir: Path, name: str, **env: str) -> Iterator[int]:
    port = free_port()
    service = Service(
        name,
        [*INGATE, "admin"],
        clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(port), **env),
        logs_dir,
    )
    try:
        # Ready as seen from loopback, which both listeners serve: a refusal below is the bind's doing.
        service.wait_http(f"http://127.0.0.1:{port}/admin/v1/openapi.json", timeout_s=60.0)
        yield port
    finally:
        service.stop()


def _connects(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(10)
        return sock.connect_ex((address, port)) == 0


def test_the_admin_port_is_not_reachable_off_loopback_by_default(
    nats_server: NatsServer, logs_dir: Path, outside_address: str
) -> None:
    with _admin(nats_server, logs_dir, "admin-default-host") as port:
        assert not _connects(outside_address, port), f"admin port {port} answers on {outside_address}"


def test_a_wildcard_admin_host_is_reachable_there(
    nats_server: NatsServer, logs_dir: Path, outside_address: str
) -> None:
    with _admin(nats_server, logs_dir, "admin-any-host", INGATE_ADMIN_HOST="0.0.0.0") as port:
        assert _connects(outside_address, port)
        url = f"http://{outside_address}:{port}/admin/v1/openapi.json"
        document = httpx.get(url, timeout=30, trust_env=False)  # straight there, never through a proxy
        assert document.status_code == 200


def test_a_busy_admin_port_is_one_line_and_an_exit(nats_server: NatsServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(INGATE_NATS_URL=nats_server.url, INGATE_ADMIN_PORT=str(port))
        done = run_cli("admin", env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"ingate: port {port} is already in use on 127.0.0.1 (set INGATE_ADMIN_PORT to use another)"
    ], done.stderr
