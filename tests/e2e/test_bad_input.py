"""Bad input at the edge: each refusal comes in the caller's dialect, carries its request id,
and leaves the edge serving the next request.

Raw cases go through httpx so the bytes on the wire are exactly the hostile ones; cases about
what an application sees go through the official SDKs and assert on the SDK's own exception.
"""

import asyncio
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.conftest import MOCK_ANTHROPIC_KEY, MOCK_OPENAI_KEY, Edge
from tests.support.events import tap_records

DialectName = Literal["openai", "anthropic", "ollama"]
Auth = Literal["key", "none", "wrong", "foreign"]
DIALECT_NAMES: tuple[DialectName, ...] = ("openai", "anthropic", "ollama")

TIMEOUT = httpx.Timeout(10.0)
# How long a key change may take to reach a running edge before a test gives up on it.
PROPAGATION_S = 20.0
REQUEST_ID = re.compile(r"req_[0-9a-f]{24}")
WRONG_KEY = "sk-ingate-" + "0" * 40
FOREIGN_KEY = "sk-proj-not-an-ingate-key-0123456789"
MAX_BODY = 1024 * 1024  # the conftest edge's INGATE_EDGE_MAX_BODY_BYTES

OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-sonnet-4-20250514"
OLLAMA_MODEL = "llama3.2"
CHAT = {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "hi"}]}


@dataclass(frozen=True)
class DialectSpec:
    path: str
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


DIALECTS: dict[DialectName, DialectSpec] = {
    "openai": DialectSpec("/v1/chat/completions", CHAT),
    "anthropic": DialectSpec(
        "/v1/messages",
        {"model": ANTHROPIC_MODEL, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]},
        (("anthropic-version", "2023-06-01"),),
    ),
    "ollama": DialectSpec(
        "/api/chat",
        {"model": OLLAMA_MODEL, "stream": False, "messages": [{"role": "user", "content": "hi"}]},
    ),
}

# Anthropic's documented error types by status; what anthropic.APIStatusError.type reports.
ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    413: "request_too_large",
    431: "invalid_request_error",
    502: "api_error",
    504: "timeout_error",
}
OPENAI_CODES = {401: "invalid_api_key", 413: "request_too_large", 502: "upstream_unreachable"}


# --- helpers -------------------------------------------------------------------------------


def auth_headers(auth: Auth, key: str) -> dict[str, str]:
    if auth == "none":
        return {}
    token = {"key": key, "wrong": WRONG_KEY, "foreign": FOREIGN_KEY}[auth]
    return {"authorization": f"Bearer {token}"}


def request_id_of(headers: Mapping[str, str]) -> str:
    header_id = headers.get("x-ingate-request-id", "")
    assert REQUEST_ID.fullmatch(header_id), f"bad or missing x-ingate-request-id: {header_id!r}"
    return header_id


def assert_envelope(response: httpx.Response, dialect: DialectName, status: int) -> str:
    """Status, exact dialect envelope, and request id header == body id; returns the message."""
    assert response.status_code == status, response.text[:500]
    assert response.headers.get("content-type", "").startswith("application/json")
    header_id = request_id_of(response.headers)
    body = response.json()
    message: Any
    if dialect == "openai":
        assert isinstance(body, dict)
        assert set(body) == {"error"}, body
        error = body["error"]
        assert set(error) == {"message", "type", "param", "code", "request_id"}, error
        message = error["message"]
        assert isinstance(error["type"], str)
        assert error["type"]
        assert error["param"] is None or isinstance(error["param"], str)
        assert isinstance(error["code"], str)
        assert error["code"]
        if status in OPENAI_CODES:
            assert error["code"] == OPENAI_CODES[status], error
        body_id = error["request_id"]
    elif dialect == "anthropic":
        assert isinstance(body, dict)
        assert set(body) == {"type", "error", "request_id"}, body
        assert body["type"] == "error"
        assert set(body["error"]) == {"type", "message"}, body
        assert body["error"]["type"] == ANTHROPIC_TYPES[status], body
        message = body["error"]["message"]
        body_id = body["request_id"]
    else:
        assert isinstance(body, dict)
        assert set(body) == {"error", "request_id"}, body
        message = body["error"]
        body_id = body["request_id"]
    assert isinstance(message, str)
    assert message
    assert body_id == header_id
    return message


def assert_serves(edge: Edge, key: str) -> None:
    """The edge is alive and answers an ordinary chat completion."""
    assert edge.service.process.poll() is None, f"edge exited:\n{edge.service.output()}"
    response = httpx.post(
        f"{edge.url}/v1/chat/completions",
        json=CHAT,
        headers={"authorization": f"Bearer {key}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    request_id_of(response.headers)
    assert response.json()["choices"][0]["message"]["content"]


def openai_client(edge: Edge, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=10.0)


def anthropic_client(edge: Edge, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=edge.url, api_key=key, max_retries=0, timeout=10.0)


def assert_openai_sdk_error(exc: openai.APIStatusError, status: int) -> None:
    assert exc.status_code == status
    header_id = request_id_of(exc.response.headers)
    # The OpenAI SDK keeps the inner `error` object as `body`.
    assert isinstance(exc.body, dict)
    assert exc.body["request_id"] == header_id


def assert_anthropic_sdk_error(exc: anthropic.APIStatusError, status: int) -> None:
    assert exc.status_code == status
    header_id = request_id_of(exc.response.headers)
    assert isinstance(exc.body, dict)
    assert exc.body["type"] == "error"
    assert exc.body["error"]["type"] == ANTHROPIC_TYPES[status]
    assert exc.body["request_id"] == header_id


def padded_body(size: int) -> bytes:
    head = b'{"model":"gpt-4o","messages":[{"role":"user","content":"'
    tail = b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


# --- the raw battery -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    name: str
    dialect: DialectName
    status: int
    method: str = "POST"
    path: str | None = None  # default: the dialect's chat path
    body: bytes | None = None  # default: the dialect's good body
    headers: tuple[tuple[str, str], ...] = ()
    auth: Auth = "key"
    mentions: tuple[str, ...] = ()  # the message names these (case-insensitive)
    allow: str | None = None  # the expected `allow` header


OTHER_PATHS: dict[DialectName, str] = {
    "openai": "/v1/chat/complete",
    "anthropic": "/v1/messages/batches",
    "ollama": "/api/pull",
}


def battery() -> Iterator[Bad]:
    for dialect in DIALECT_NAMES:
        yield Bad("missing-key", dialect, 401, auth="none", mentions=("key",))
        yield Bad("wrong-key", dialect, 401, auth="wrong", mentions=("invalid",))
        yield Bad(
            "malformed-json", dialect, 400, body=b'{"model": "gpt-4o", "messages": [', mentions=("json",)
        )
        yield Bad(
            "text-plain",
            dialect,
            400,
            headers=(("content-type", "text/plain"),),
            mentions=("content-type",),
        )
        yield Bad("empty-body", dialect, 400, body=b"")
        yield Bad("whitespace-body", dialect, 400, body=b" \r\n\t ")
        yield Bad("too-large-declared", dialect, 413, body=padded_body(MAX_BODY + 1))
        yield Bad(
            "unknown-path",
            dialect,
            404,
            path=OTHER_PATHS[dialect],
            mentions=("/v1/chat/completions", "/v1/messages", "/api/chat"),
        )
        yield Bad(
            "unknown-provider",
            dialect,
            400,
            headers=(("x-ingate-provider", "no-such-provider"),),
            mentions=("no-such-provider", "custom-llm", "openai", "anthropic", "ollama"),
        )
        yield Bad("wrong-method", dialect, 405, method="GET", allow="POST", mentions=("POST",))
        yield Bad("wrong-method-put", dialect, 405, method="PUT", allow="POST")
        yield Bad(
            "invalid-utf8-in-model",
            dialect,
            400,
            body=b'{"model":"gpt-4o\xff","messages":[{"role":"user","content":"hi"}]}',
            mentions=("utf-8",),
        )
        yield Bad(
            "invalid-utf8-in-content",
            dialect,
            400,
            body=b'{"model":"gpt-4o","messages":[{"role":"user","content":"h\xc3\x28i\xff"}]}',
            mentions=("utf-8",),
        )
        yield Bad("header-20kib", dialect, 431, headers=(("x-filler", "a" * 20 * 1024),))
        yield Bad(
            "user-id-1000-chars",
            dialect,
            400,
            headers=(("x-ingate-user-id", "u" * 1000),),
            mentions=("x-ingate-user-id",),
        )
        yield Bad(
            "session-id-control-char",
            dialect,
            400,
            headers=(("x-ingate-session-id", "sess\tone"),),
            mentions=("x-ingate-session-id",),
        )
        yield Bad("model-is-int", dialect, 400, body=b'{"model": 42, "messages": []}', mentions=("model",))
        yield Bad("stream-is-string", dialect, 400, body=b'{"model": "m", "stream": "yes"}')
        yield Bad("top-level-array", dialect, 400, body=b'[{"model": "gpt-4o"}]')
        yield Bad("top-level-string", dialect, 400, body=b'"hello"')
    yield Bad("foreign-key", "openai", 401, auth="foreign", mentions=("sk-ingate-",))
    yield Bad("foreign-key-x-api-key", "anthropic", 401, auth="none", headers=(("x-api-key", "sk-ant-1"),))
    yield Bad("empty-bearer", "openai", 401, auth="none", headers=(("authorization", "Bearer"),))
    yield Bad(
        "upstream-unreachable",
        "openai",
        502,
        headers=(("x-ingate-provider", "dead"),),
        mentions=("dead",),
    )
    yield Bad(
        "upstream-timeout",
        "openai",
        504,
        headers=(("x-ingate-provider", "slow"), ("x-mock-latency-ms", "3000")),
        mentions=("slow",),
    )
    yield Bad(
        "provider-format-mismatch",
        "anthropic",
        400,
        headers=(("x-ingate-provider", "custom-llm"),),
        mentions=("custom-llm",),
    )


BATTERY = list(battery())


@pytest.mark.parametrize("case", BATTERY, ids=[f"{c.dialect}-{c.name}" for c in BATTERY])
def test_bad_request_is_refused_in_the_callers_dialect(case: Bad, edge: Edge, ingate_key: str) -> None:
    spec = DIALECTS[case.dialect]
    headers = {"content-type": "application/json", **dict(spec.headers)}
    headers.update(auth_headers(case.auth, ingate_key))
    headers.update(dict(case.headers))
    body = case.body if case.body is not None else httpx.Request("POST", "/", json=spec.body).content
    content = None if case.method == "GET" else body
    # TIMEOUT bounds the answer: a refusal that hangs fails here as a read timeout.
    response = httpx.request(
        case.method, f"{edge.url}{case.path or spec.path}", content=content, headers=headers, timeout=TIMEOUT
    )
    message = assert_envelope(response, case.dialect, case.status)
    for word in case.mentions:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    if case.allow is not None:
        assert response.headers.get("allow") == case.allow
    for secret in (ingate_key, WRONG_KEY, FOREIGN_KEY, MOCK_OPENAI_KEY, MOCK_ANTHROPIC_KEY):
        assert secret not in response.text
    assert_serves(edge, ingate_key)


# --- bodies over the limit -------------------------------------------------------------------


class CountingBody:
    """A chunked request body far over the limit that counts what the client managed to send."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"model":"gpt-4o","messages":[{"role":"user","content":"'
        piece = b"x" * self.chunk
        while self.sent < self.total:
            self.sent += len(piece)
            yield piece
        yield b'"}]}'


@pytest.mark.parametrize("dialect", ["openai", "anthropic", "ollama"])
def test_chunked_body_over_the_limit_is_cut_off(dialect: DialectName, edge: Edge, ingate_key: str) -> None:
    spec = DIALECTS[dialect]
    body = CountingBody(total=64 * 1024 * 1024)
    headers = {"content-type": "application/json", "authorization": f"Bearer {ingate_key}"}
    headers.update(dict(spec.headers))
    started = time.monotonic()
    response = httpx.post(f"{edge.url}{spec.path}", content=iter(body), headers=headers, timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert_envelope(response, dialect, 413)
    # The edge answered at the limit and stopped taking the body: the client could not push
    # anywhere near all of it (socket buffers hold a few MiB at most).
    assert body.sent < 16 * 1024 * 1024, f"client pushed {body.sent} bytes in {elapsed:.1f}s"
    assert_serves(edge, ingate_key)


def test_declared_body_over_the_limit_is_refused_before_it_is_read(edge: Edge, ingate_key: str) -> None:
    """An honest Content-Length over the limit is refused from the headers alone."""
    body = CountingBody(total=64 * 1024 * 1024)
    size = len(b'{"model":"gpt-4o","messages":[{"role":"user","content":"') + body.total + len(b'"}]}')
    headers = {
        "content-type": "application/json",
        "content-length": str(size),
        "authorization": f"Bearer {ingate_key}",
    }
    response = httpx.post(
        f"{edge.url}/v1/chat/completions", content=iter(body), headers=headers, timeout=TIMEOUT
    )
    assert_envelope(response, "openai", 413)
    assert body.sent < 16 * 1024 * 1024, f"client pushed {body.sent} bytes"
    assert_serves(edge, ingate_key)


def test_body_at_the_limit_is_accepted(edge: Edge, ingate_key: str) -> None:
    response = httpx.post(
        f"{edge.url}/v1/chat/completions",
        content=padded_body(MAX_BODY),
        headers={"content-type": "application/json", "authorization": f"Bearer {ingate_key}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    request_id_of(response.headers)


# --- headers ---------------------------------------------------------------------------------


def test_one_mebibyte_header_does_not_kill_the_edge(edge: Edge, ingate_key: str) -> None:
    headers = {"authorization": f"Bearer {ingate_key}", "x-filler": "a" * 1024 * 1024}
    try:
        response = httpx.post(f"{edge.url}/v1/chat/completions", json=CHAT, headers=headers, timeout=TIMEOUT)
    except httpx.TransportError:
        pass  # dropping such a request is fine
    else:
        assert response.status_code >= 400
    assert_serves(edge, ingate_key)


def test_many_small_headers_over_the_limit(edge: Edge, ingate_key: str) -> None:
    headers = [(f"x-filler-{i}", "b" * 100) for i in range(300)]
    headers.append(("authorization", f"Bearer {ingate_key}"))
    response = httpx.post(f"{edge.url}/v1/chat/completions", json=CHAT, headers=headers, timeout=TIMEOUT)
    assert_envelope(response, "openai", 431)
    assert_serves(edge, ingate_key)


# --- revoked key -----------------------------------------------------------------------------


def test_revoked_key_is_refused_by_the_running_edge(edge: Edge, ingate_key: str) -> None:
    key = edge.new_key("--name", "bad-input-revoke", "--user", "revokee")
    chat = f"{edge.url}/v1/chat/completions"
    auth = {"authorization": f"Bearer {key}"}
    # A new key works at once (the watch delivers it), give it a moment to arrive.
    deadline = time.monotonic() + PROPAGATION_S
    response = httpx.post(chat, json=CHAT, headers=auth, timeout=TIMEOUT)
    while response.status_code == 401 and time.monotonic() < deadline:
        time.sleep(0.05)
        response = httpx.post(chat, json=CHAT, headers=auth, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:500]

    code, out, err = edge.cli("keys", "revoke", key)
    assert code == 0, err
    assert key not in out + err
    # "Within a second" is a target for a quiet machine, not something a test can hold to.
    deadline = time.monotonic() + PROPAGATION_S
    while True:
        response = httpx.post(chat, json=CHAT, headers=auth, timeout=TIMEOUT)
        if response.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "revoked" in assert_envelope(response, "openai", 401).lower()

    for dialect, spec in DIALECTS.items():
        refused = httpx.post(
            f"{edge.url}{spec.path}",
            json=spec.body,
            headers={"x-api-key": key, **dict(spec.headers)},
            timeout=TIMEOUT,
        )
        assert_envelope(refused, dialect, 401)
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client(edge, key).chat.completions.create(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": "hi"}]
        )
    assert_openai_sdk_error(caught.value, 401)
    assert_serves(edge, ingate_key)


# --- through the SDKs ------------------------------------------------------------------------

HI: list[Any] = [{"role": "user", "content": "hi"}]


def test_openai_sdk_wrong_key_raises_authentication_error(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client(edge, WRONG_KEY).chat.completions.create(model=OPENAI_MODEL, messages=HI)
    assert_openai_sdk_error(caught.value, 401)
    assert caught.value.code == "invalid_api_key"
    assert_serves(edge, ingate_key)


def test_anthropic_sdk_wrong_key_raises_authentication_error(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        anthropic_client(edge, WRONG_KEY).messages.create(model=ANTHROPIC_MODEL, max_tokens=16, messages=HI)
    assert_anthropic_sdk_error(caught.value, 401)
    assert_serves(edge, ingate_key)


def test_anthropic_sdk_bearer_key_missing_raises_authentication_error(edge: Edge, ingate_key: str) -> None:
    client = anthropic.Anthropic(
        base_url=edge.url, api_key=None, auth_token=WRONG_KEY, max_retries=0, timeout=10.0
    )
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model=ANTHROPIC_MODEL, max_tokens=16, messages=HI)
    assert_anthropic_sdk_error(caught.value, 401)
    assert_serves(edge, ingate_key)


def test_ollama_sdk_missing_key_raises_response_error(edge: Edge, ingate_key: str) -> None:
    client = ollama.Client(host=edge.url, timeout=10.0)
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model=OLLAMA_MODEL, messages=HI, stream=False)
    assert caught.value.status_code == 401
    assert "key" in caught.value.error.lower()
    assert_serves(edge, ingate_key)


def test_openai_sdk_unknown_path_raises_not_found(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client(edge, ingate_key).files.list()
    assert_openai_sdk_error(caught.value, 404)
    assert "/chat/completions" in caught.value.message
    assert_serves(edge, ingate_key)


def test_openai_sdk_unknown_provider_raises_bad_request(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL, messages=HI, extra_headers={"X-Ingate-Provider": "nope"}
        )
    assert_openai_sdk_error(caught.value, 400)
    assert "custom-llm" in caught.value.message
    assert_serves(edge, ingate_key)


def test_openai_sdk_hostile_user_id_raises_bad_request(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL, messages=HI, extra_headers={"X-Ingate-User-Id": "x" * 1000}
        )
    assert_openai_sdk_error(caught.value, 400)
    assert_serves(edge, ingate_key)


def test_openai_sdk_upstream_unreachable_raises_502(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL, messages=HI, extra_headers={"X-Ingate-Provider": "dead"}
        )
    assert_openai_sdk_error(caught.value, 502)
    assert caught.value.code == "upstream_unreachable"
    assert_serves(edge, ingate_key)


def test_openai_sdk_upstream_timeout_raises_504(edge: Edge, ingate_key: str) -> None:
    started = time.monotonic()
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL,
            messages=HI,
            extra_headers={"X-Ingate-Provider": "slow", "X-Mock-Latency-Ms": "3000"},
        )
    elapsed = time.monotonic() - started
    assert_openai_sdk_error(caught.value, 504)  # not the mock's answer after 3 s: a 200
    assert caught.value.code == "upstream_timeout"
    assert elapsed >= 0.9, f"504 after {elapsed:.2f}s; the slow provider's read timeout is 1s"
    assert_serves(edge, ingate_key)


def test_slow_provider_within_its_timeout_still_answers(edge: Edge, ingate_key: str) -> None:
    completion = openai_client(edge, ingate_key).chat.completions.create(
        model=OPENAI_MODEL,
        messages=HI,
        extra_headers={"X-Ingate-Provider": "slow", "X-Mock-Latency-Ms": "200"},
    )
    assert completion.choices[0].message.content


def test_openai_sdk_upstream_403_raises_permission_denied(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL, messages=HI, extra_headers={"X-Mock-Status": "403"}
        )
    assert caught.value.status_code == 403
    request_id_of(caught.value.response.headers)
    assert_serves(edge, ingate_key)


# --- upstream errors pass through ------------------------------------------------------------


def test_upstream_500_passes_through_unchanged(edge: Edge, mock_url: str, ingate_key: str) -> None:
    direct = httpx.post(
        f"{mock_url}/v1/chat/completions",
        json=CHAT,
        headers={"authorization": f"Bearer {MOCK_OPENAI_KEY}", "x-mock-status": "500"},
        timeout=TIMEOUT,
    )
    assert direct.status_code == 500
    via_edge = httpx.post(
        f"{edge.url}/v1/chat/completions",
        json=CHAT,
        headers={"authorization": f"Bearer {ingate_key}", "x-mock-status": "500"},
        timeout=TIMEOUT,
    )
    assert via_edge.status_code == 500
    assert via_edge.content == direct.content
    request_id_of(via_edge.headers)

    with pytest.raises(openai.InternalServerError) as caught:
        openai_client(edge, ingate_key).chat.completions.create(
            model=OPENAI_MODEL, messages=HI, extra_headers={"X-Mock-Status": "500"}
        )
    assert caught.value.status_code == 500
    assert caught.value.body == direct.json()["error"]
    request_id_of(caught.value.response.headers)
    assert_serves(edge, ingate_key)


@pytest.mark.parametrize("dialect", ["anthropic", "ollama"])
def test_upstream_500_passes_through_in_other_dialects(
    dialect: DialectName, edge: Edge, mock_url: str, ingate_key: str
) -> None:
    spec = DIALECTS[dialect]
    upstream_auth = {"x-api-key": MOCK_ANTHROPIC_KEY} if dialect == "anthropic" else {}
    direct = httpx.post(
        f"{mock_url}{spec.path}",
        json=spec.body,
        headers={**dict(spec.headers), **upstream_auth, "x-mock-status": "500"},
        timeout=TIMEOUT,
    )
    via_edge = httpx.post(
        f"{edge.url}{spec.path}",
        json=spec.body,
        headers={**dict(spec.headers), "x-api-key": ingate_key, "x-mock-status": "500"},
        timeout=TIMEOUT,
    )
    assert direct.status_code == via_edge.status_code == 500
    request_id_of(via_edge.headers)
    mine, theirs = via_edge.json(), direct.json()
    if dialect == "anthropic":
        # Anthropic bodies carry the provider's own request id, which differs per call.
        assert mine.pop("request_id").startswith("req_")
        theirs.pop("request_id")
    assert mine == theirs
    assert_serves(edge, ingate_key)


def test_upstream_429_passes_through_to_the_anthropic_sdk(edge: Edge, ingate_key: str) -> None:
    with pytest.raises(anthropic.RateLimitError) as caught:
        anthropic_client(edge, ingate_key).messages.create(
            model=ANTHROPIC_MODEL, max_tokens=16, messages=HI, extra_headers={"X-Mock-Status": "429"}
        )
    assert caught.value.status_code == 429
    request_id_of(caught.value.response.headers)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    # The provider's body, not the edge's: its request id is the provider's own.
    assert caught.value.body["request_id"] != caught.value.response.headers["x-ingate-request-id"]
    assert_serves(edge, ingate_key)


# --- streams that end badly ------------------------------------------------------------------


def drain(response: httpx.Response, into: list[bytes]) -> None:
    for chunk in response.iter_raw():
        into.append(chunk)


async def test_client_disconnect_mid_stream_is_recorded_as_499(edge: Edge, ingate_key: str) -> None:
    headers = {
        "authorization": f"Bearer {ingate_key}",
        "x-mock-tokens-per-second": "5",
        "x-mock-reply-tokens": "200",
    }
    body = {**CHAT, "stream": True}
    async with tap_records(edge.nats_url) as tap, httpx.AsyncClient(timeout=TIMEOUT) as client:
        started = time.monotonic()
        async with client.stream(
            "POST", f"{edge.url}/v1/chat/completions", json=body, headers=headers
        ) as response:
            assert response.status_code == 200
            request_id = request_id_of(response.headers)
            first = await anext(response.aiter_raw())
            assert first.startswith(b"data: ")
        # Leaving the block closed the half-read response, and with it the connection (the
        # stream itself would run for 40 s).
        assert time.monotonic() - started < 20.0
        record = await tap.record_for(request_id)
    assert record.status == 499
    assert record.error_type == "client_disconnected"
    assert record.stream is True
    assert record.latency_ms < 10_000  # not the 40 s the whole stream would have taken
    await asyncio.to_thread(assert_serves, edge, ingate_key)


@pytest.mark.parametrize("dialect", ["openai", "anthropic", "ollama"])
def test_stream_the_upstream_drops_reaches_the_client_broken(
    dialect: DialectName, edge: Edge, ingate_key: str
) -> None:
    spec = DIALECTS[dialect]
    body = {**spec.body, "stream": True}
    headers = {"x-api-key": ingate_key, "x-mock-drop-after": "3", **dict(spec.headers)}
    received: list[bytes] = []
    with httpx.stream(
        "POST", f"{edge.url}{spec.path}", json=body, headers=headers, timeout=TIMEOUT
    ) as response:
        assert response.status_code == 200
        request_id_of(response.headers)
        with pytest.raises(httpx.RemoteProtocolError):
            drain(response, received)
    assert b"".join(received)  # the events before the drop came through
    assert_serves(edge, ingate_key)


def test_openai_sdk_sees_a_dropped_stream_fail(edge: Edge, ingate_key: str) -> None:
    stream = openai_client(edge, ingate_key).chat.completions.create(
        model=OPENAI_MODEL, messages=HI, stream=True, extra_headers={"X-Mock-Drop-After": "3"}
    )
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        list(stream)
    assert_serves(edge, ingate_key)


# --- credentials ---------------------------------------------------------------------------


def _assert_clean_upstream_headers(received: dict[str, str]) -> None:
    for name, value in received.items():
        assert "sk-ingate-" not in value, f"Ingate key forwarded upstream in {name}"
        assert not name.startswith("x-ingate-"), f"{name} reached the upstream"


@pytest.mark.parametrize("style", ["authorization", "x-api-key"])
def test_openai_upstream_gets_the_provider_credential_not_the_ingate_key(
    style: str, edge: Edge, ingate_key: str
) -> None:
    caller_auth = (
        {"authorization": f"Bearer {ingate_key}"} if style == "authorization" else {"x-api-key": ingate_key}
    )
    response = httpx.post(
        f"{edge.url}/v1/chat/completions",
        json=CHAT,
        headers={
            **caller_auth,
            "x-mock-echo-headers": "1",
            "x-ingate-user-id": "alice",
            "x-ingate-session-id": "s-1",
            "x-ingate-provider": "openai",
            "x-ingate-something-new": "1",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    received: dict[str, str] = response.json()["mock_received_headers"]
    _assert_clean_upstream_headers(received)
    assert received["authorization"] == f"Bearer {MOCK_OPENAI_KEY}"
    assert "x-api-key" not in received


@pytest.mark.parametrize("style", ["authorization", "x-api-key"])
def test_anthropic_upstream_gets_the_provider_credential_not_the_ingate_key(
    style: str, edge: Edge, ingate_key: str
) -> None:
    caller_auth = (
        {"authorization": f"Bearer {ingate_key}"} if style == "authorization" else {"x-api-key": ingate_key}
    )
    spec = DIALECTS["anthropic"]
    response = httpx.post(
        f"{edge.url}{spec.path}",
        json=spec.body,
        headers={
            **caller_auth,
            **dict(spec.headers),
            "x-mock-echo-headers": "1",
            "x-ingate-user-id": "alice",
            "x-ingate-session-id": "s-1",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    received: dict[str, str] = response.json()["mock_received_headers"]
    _assert_clean_upstream_headers(received)
    assert received["x-api-key"] == MOCK_ANTHROPIC_KEY
    assert "authorization" not in received
    assert received["anthropic-version"] == "2023-06-01"


def test_custom_alias_gets_its_credential_not_the_ingate_key(edge: Edge, ingate_key: str) -> None:
    completion = openai_client(edge, ingate_key).chat.completions.with_raw_response.create(
        model=OPENAI_MODEL,
        messages=HI,
        extra_headers={"X-Ingate-Provider": "custom-llm", "X-Mock-Echo-Headers": "1"},
    )
    received: dict[str, str] = completion.http_response.json()["mock_received_headers"]
    _assert_clean_upstream_headers(received)
    assert received["authorization"] == f"Bearer {MOCK_OPENAI_KEY}"


def test_connection_named_header_is_not_forwarded(edge: Edge, ingate_key: str) -> None:
    response = httpx.post(
        f"{edge.url}/v1/chat/completions",
        json=CHAT,
        headers={
            "authorization": f"Bearer {ingate_key}",
            "connection": "keep-alive, x-hop-secret",
            "x-hop-secret": "do-not-forward",
            "x-mock-echo-headers": "1",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    received: dict[str, str] = response.json()["mock_received_headers"]
    assert "x-hop-secret" not in received
    _assert_clean_upstream_headers(received)
