"""The edge's HTTP front door against raw sockets: slow clients, parser rejects, the connection bound.

Each refusal is a JSON error in the caller's dialect with its request id and `connection: close`;
a slow client is cut off within the configured timeouts (here 1 s and 2 s, so a deadline of 20 s
is generous); and the edge serves the next request.
"""

import resource
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingate_nats import NatsServer
from tests.conftest import Edge, start_edge
from tests.e2e.test_bad_input import CHAT, TIMEOUT, DialectName, assert_envelope, assert_serves, request_id_of
from tests.support.events import tap_records
from tests.support.raw_http import exchange, open_socket, parse_response, read_until_closed, trickle

HEADER_TIMEOUT_S = 1
BODY_TIMEOUT_S = 2
MAX_CONNECTIONS = 3
LOW_SOFT_LIMIT = 1000
CLOSE_WITHIN_S = 20.0


@pytest.fixture(scope="module")
def quick_edge(nats_server: NatsServer, mock_url: str, logs_dir: Path) -> Iterator[Edge]:
    """An edge with short read timeouts."""
    running = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-quick-timeouts",
        INGATE_EDGE_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        INGATE_EDGE_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S),
    )
    try:
        yield running
    finally:
        running.service.stop()


@pytest.fixture(scope="module")
def small_edge(nats_server: NatsServer, mock_url: str, logs_dir: Path) -> Iterator[Edge]:
    """An edge that takes only a few connections, started with a low soft limit on open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(LOW_SOFT_LIMIT, hard), hard))
    try:
        running = start_edge(
            nats_server.url,
            mock_url,
            logs_dir,
            name="edge-few-connections",
            INGATE_EDGE_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
        )
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        yield running
    finally:
        running.service.stop()


def request_head(path: str, key: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "host: edge", f"authorization: Bearer {key}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_refusal(response: httpx.Response, dialect: DialectName, status: int) -> str:
    message = assert_envelope(response, dialect, status)
    assert response.headers.get("connection") == "close"
    return message


# --- slow clients ----------------------------------------------------------------------------


def test_connection_that_sends_nothing_is_closed(quick_edge: Edge, ingate_key: str) -> None:
    with open_socket(quick_edge.url) as sock:
        assert read_until_closed(sock, CLOSE_WITHIN_S) == b""
    assert_serves(quick_edge, ingate_key)


def test_headers_one_line_at_a_time_get_408(quick_edge: Edge, ingate_key: str) -> None:
    """The header timeout runs from the request's first byte: steady progress does not extend it."""
    first = b"POST /v1/messages HTTP/1.1\r\nhost: edge\r\n"
    lines = [f"x-filler-{i}: {i}\r\n".encode() for i in range(int(CLOSE_WITHIN_S / 0.2))]
    started = time.monotonic()
    with open_socket(quick_edge.url) as sock:
        completed = trickle(sock, [first, *lines], every_s=0.2)
        assert not completed, "the edge let the headers trickle in for the whole deadline"
        raw = read_until_closed(sock, CLOSE_WITHIN_S)
    assert time.monotonic() - started < CLOSE_WITHIN_S
    message = assert_refusal(parse_response(raw), "anthropic", 408)
    assert f"{HEADER_TIMEOUT_S}s" in message
    assert_serves(quick_edge, ingate_key)


async def test_body_shorter_than_its_length_is_cut_off(quick_edge: Edge, ingate_key: str) -> None:
    """The app waiting for the rest of the body sees the client go: the record says 499."""
    user = f"short-body-{uuid.uuid4().hex[:8]}"
    head = request_head(
        "/v1/chat/completions",
        ingate_key,
        "content-type: application/json",
        "content-length: 100",
        f"x-ingate-user-id: {user}",
    )
    async with tap_records(quick_edge.nats_url) as tap:
        with open_socket(quick_edge.url) as sock:
            sock.sendall(head + b'{"model":')
            assert read_until_closed(sock, CLOSE_WITHIN_S) == b""
        deadline = time.monotonic() + 10.0
        while not [r for r in tap.records if r.user_id == user] and time.monotonic() < deadline:
            await tap.wait_for(len(tap.records) + 1, 0.5)
    [record] = [r for r in tap.records if r.user_id == user]
    assert record.status == 499
    assert record.error_type == "client_disconnected"
    assert_serves(quick_edge, ingate_key)


def test_body_that_keeps_coming_is_not_cut_off(quick_edge: Edge, ingate_key: str) -> None:
    """The body timeout is idle time: a body slower in total than the timeout still goes through."""
    body = httpx.Request("POST", "/", json=CHAT).content
    head = request_head(
        "/v1/chat/completions",
        ingate_key,
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    )
    pieces = [body[i : i + 2] for i in range(0, len(body), 2)]
    started = time.monotonic()
    with open_socket(quick_edge.url) as sock:
        sock.sendall(head)
        completed = trickle(sock, pieces, every_s=0.1)
        raw = read_until_closed(sock, CLOSE_WITHIN_S)
    assert completed, raw
    assert time.monotonic() - started > BODY_TIMEOUT_S  # else this proves nothing
    response = parse_response(raw)
    assert response.status_code == 200, raw
    request_id_of(response.headers)


# --- requests the HTTP parser refuses --------------------------------------------------------

MALFORMED: list[tuple[str, DialectName, bytes]] = [
    ("cr-in-header-value", "anthropic", b"POST /v1/messages HTTP/1.1\r\nhost: edge\r\nx-a: b\rc\r\n\r\n"),
    ("control-char-in-header", "ollama", b"POST /api/chat HTTP/1.1\r\nhost: edge\r\nx-a: b\x01c\r\n\r\n"),
    ("space-in-header-name", "openai", b"GET /v1/models HTTP/1.1\r\nhost: edge\r\nx a: b\r\n\r\n"),
    (
        "bad-chunk-size",
        "openai",
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\n"
        b"transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ),
    (
        "length-and-chunked",
        "anthropic",
        b"POST /v1/messages HTTP/1.1\r\nhost: edge\r\ncontent-length: 2\r\n"
        b"transfer-encoding: chunked\r\n\r\n{}",
    ),
    ("garbage-request-line", "openai", b"\x16\x03\x01 garbage\r\n\r\n"),
    ("non-ascii-url", "openai", b"GET /v1/\xff HTTP/1.1\r\nhost: edge\r\n\r\n"),
    # The parser takes it; reading the URL afterwards fails (a port out of range).
    ("unreadable-url", "openai", b"GET http://edge:99999/v1/models HTTP/1.1\r\nhost: edge\r\n\r\n"),
]


@pytest.mark.parametrize(("name", "dialect", "request_bytes"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_json_400(
    name: str, dialect: DialectName, request_bytes: bytes, edge: Edge, ingate_key: str
) -> None:
    response, raw = exchange(
        edge.url, request_bytes.replace(b"host: edge", b"host: edge\r\nx-case: " + name.encode())
    )
    message = assert_refusal(response, dialect, 400)
    assert message.startswith("Malformed HTTP request"), message
    assert b"Invalid HTTP request received" not in raw
    assert_serves(edge, ingate_key)


def test_bad_chunk_after_valid_headers_with_a_key(edge: Edge, ingate_key: str) -> None:
    """The proxy already has the request and waits for its body: the refusal still gets out."""
    head = request_head(
        "/v1/messages", ingate_key, "content-type: application/json", "transfer-encoding: chunked"
    )
    response, _ = exchange(edge.url, head + b"5\r\n{}\r\nxyz\r\n")
    assert_refusal(response, "anthropic", 400)
    assert_serves(edge, ingate_key)


def test_headers_that_never_end_get_431(edge: Edge, ingate_key: str) -> None:
    """Headers are capped while they arrive, not only once complete (the proxy counts those)."""
    limit = 16 * 1024  # the conftest edge's INGATE_EDGE_MAX_HEADER_BYTES
    pieces = [b"POST /api/chat HTTP/1.1\r\nhost: edge\r\nx-filler: ", *[b"a" * 1024] * (4 * limit // 1024)]
    with open_socket(edge.url) as sock:
        completed = trickle(sock, pieces, every_s=0.01)
        raw = read_until_closed(sock, CLOSE_WITHIN_S)
    assert not completed, "the edge took four times its header limit without a word"
    assert str(limit) in assert_refusal(parse_response(raw), "ollama", 431)
    assert_serves(edge, ingate_key)


# --- the connection bound --------------------------------------------------------------------


def test_connections_over_the_bound_get_503(small_edge: Edge, ingate_key: str) -> None:
    held = [open_socket(small_edge.url) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in held:  # requests whose bodies never come keep their connections busy
            sock.sendall(request_head("/v1/chat/completions", ingate_key, "content-length: 10"))
        deadline = time.monotonic() + CLOSE_WITHIN_S
        while True:
            request = b"GET /api/tags HTTP/1.1\r\nhost: edge\r\nauthorization: Bearer " + ingate_key.encode()
            response, _ = exchange(small_edge.url, request + b"\r\nconnection: close\r\n\r\n")
            if response.status_code == 503 or time.monotonic() > deadline:
                break
        message = assert_refusal(response, "ollama", 503)
        assert str(MAX_CONNECTIONS) in message
        assert response.headers.get("retry-after") == "1"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + CLOSE_WITHIN_S
    while True:  # the held connections go as the edge notices them closed
        response = httpx.get(
            f"{small_edge.url}/api/tags", headers={"authorization": f"Bearer {ingate_key}"}, timeout=TIMEOUT
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            break
    assert response.status_code == 200, response.text


def test_open_files_soft_limit_is_raised_to_the_hard_limit(small_edge: Edge) -> None:
    limits = Path(f"/proc/{small_edge.service.process.pid}/limits")
    if not limits.exists():
        pytest.skip("needs Linux /proc")
    [line] = [row for row in limits.read_text().splitlines() if row.startswith("Max open files")]
    soft, hard = line.split()[3:5]
    if int(hard) <= LOW_SOFT_LIMIT:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise")
    assert soft == hard, line
