"""The ASGI application: routing, credentials, control headers and faults.

One port serves four dialects, told apart by path: ``/api/*`` is Ollama,
``/v1/messages*`` is Anthropic, ``/v1beta/*`` and ``/v1/models/{model}:method``
are Gemini, and other ``/v1/*`` paths are OpenAI (``/v1/responses`` upgraded to a
WebSocket too, ``openai_responses_ws.py``), except that ``/v1/models``
answers in Anthropic's shape when the request carries an ``anthropic-version``
header, and in Gemini's when it carries ``x-goog-api-key`` or
``x-goog-api-client`` (all three providers serve that path).

``/_mock/*`` is the control API (``admin.py``) of the instance's fault schedule
(``schedule.py``). The schedule is consulted after routing and the control
headers, before credentials: an instance that is down does not check keys.
On the control port (``server.py``) only the control API and ``/healthz`` answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import msgspec

from ingate_mock import (
    admin,
    anthropic_messages,
    catalog,
    gemini_api,
    ollama_api,
    ollama_models,
    openai_chat,
    openai_embeddings,
    openai_responses,
    openai_responses_ws,
    org_limits,
)
from ingate_mock.auth import check
from ingate_mock.billing import PromptCache
from ingate_mock.controls import PREFIX, ControlError, defaults, read_controls
from ingate_mock.faults import (
    Dialect,
    error_body,
    invalid_body,
    method_not_allowed,
    not_found,
)
from ingate_mock.options import MockOptions
from ingate_mock.schedule import Faults, FaultSchedule
from ingate_mock.text import new_hex_id, new_id
from ingate_mock.wire import (
    JSON,
    ASGIApp,
    ClientGone,
    DroppedConnection,
    EventStream,
    Headers,
    Receive,
    Request,
    Scope,
    Send,
    encode,
)

Handler = Callable[[Request], Awaitable[None]]
Route = tuple[Dialect, Mapping[str, Handler]]

_OPENAI = Dialect.OPENAI
_ANTHROPIC = Dialect.ANTHROPIC
_OLLAMA = Dialect.OLLAMA
_GEMINI = Dialect.GEMINI
_OLLAMA_ROOT = b"Ollama is running"

ROUTES: dict[str, Route] = {
    "/v1/chat/completions": (_OPENAI, {"POST": openai_chat.chat_completions}),
    "/v1/embeddings": (_OPENAI, {"POST": openai_embeddings.embeddings}),
    "/v1/responses": (_OPENAI, {"POST": openai_responses.responses}),
    "/v1/models": (_OPENAI, {"GET": catalog.openai_models}),
    "/v1/messages": (_ANTHROPIC, {"POST": anthropic_messages.messages}),
    "/v1/messages/count_tokens": (_ANTHROPIC, {"POST": anthropic_messages.count_tokens}),
    "/api/chat": (_OLLAMA, {"POST": ollama_api.chat}),
    "/api/generate": (_OLLAMA, {"POST": ollama_api.generate}),
    "/api/embed": (_OLLAMA, {"POST": ollama_api.embed_route}),
    "/api/embeddings": (_OLLAMA, {"POST": ollama_api.embeddings_route}),
    "/api/tags": (_OLLAMA, {"GET": ollama_api.tags}),
    "/api/version": (_OLLAMA, {"GET": ollama_api.version}),
    "/api/show": (_OLLAMA, {"POST": ollama_models.show}),
    "/api/ps": (_OLLAMA, {"GET": ollama_models.ps}),
}
_ANTHROPIC_MODELS: Route = (_ANTHROPIC, {"GET": catalog.anthropic_models})
_OPENAI_MODEL: Route = (_OPENAI, {"GET": catalog.openai_model})
_ANTHROPIC_MODEL: Route = (_ANTHROPIC, {"GET": catalog.anthropic_model})


def resolve(path: str, headers: Mapping[str, str]) -> tuple[Dialect, Route | None]:
    """The dialect a path belongs to and its route (``None`` if unknown)."""
    anthropic_client = "anthropic-version" in headers
    if gemini_api.claims(path, headers):
        gemini = gemini_api.handlers(path)
        return _GEMINI, (None if gemini is None else (_GEMINI, gemini))
    if path == "/v1/models" and anthropic_client:
        return _ANTHROPIC, _ANTHROPIC_MODELS
    route = ROUTES.get(path)
    if route is not None:
        return route[0], route
    if path.startswith("/v1/models/") and len(path) > len("/v1/models/"):
        found = _ANTHROPIC_MODEL if anthropic_client else _OPENAI_MODEL
        return found[0], found
    if path.startswith("/api/"):
        return _OLLAMA, None
    if path.startswith("/v1/messages") or anthropic_client:
        return _ANTHROPIC, None
    return _OPENAI, None


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def create_app(
    options: MockOptions,
    faults: Faults | None = None,
    door: admin.Door | None = None,
) -> ASGIApp:
    """An ASGI application imitating OpenAI, Anthropic, Ollama and Gemini at once.

    ``faults`` is the instance's schedule (by default one made from
    ``options.faults``); ``door`` is the server that can refuse connections
    and serves the control port.
    """
    base = defaults(options)
    streams: set[EventStream] = set()
    schedule = faults if faults is not None else Faults(options.faults)
    prompt_cache = PromptCache()

    async def http(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers: dict[str, str] = {}
        mock_headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = value
            if name.startswith(PREFIX):
                mock_headers[name] = value
        if path == "/healthz" or path == "/":
            await _plain(send, method, path, len(streams))
            return
        if path.startswith(admin.PREFIX):
            body = await read_body(receive) if method == "POST" else b""
            await admin.handle(method, path, body, _client(scope), send, schedule, door)
            return
        if door is not None and _local_port(scope) == door.control_port:
            await _plain(send, method, path, len(streams))
            return
        dialect, route = resolve(path, headers)
        response_headers: Headers
        if dialect is _ANTHROPIC:
            request_id = new_id("req_011C", 20)
            response_headers = [
                (b"request-id", request_id.encode()),
                *org_limits.anthropic(),
            ]
        elif dialect is _OPENAI:
            request_id = new_hex_id("req_", 32)
            response_headers = [(b"x-request-id", request_id.encode()), *org_limits.OPENAI]
        else:
            request_id = ""
            response_headers = []
        req = Request(
            method=method,
            path=path,
            headers=headers,
            controls=base,
            send=send,
            receive=receive,
            streams=streams,
            request_id=request_id,
            response_headers=response_headers,
            prompt_cache=prompt_cache,
        )
        req.query = scope.get("query_string", b"").decode("latin-1")
        if method == "POST":
            req.body = await read_body(receive)
        if route is None:
            await req.json(not_found(dialect, method, path, request_id), 404)
            return
        handler = route[1].get(method)
        if handler is None:
            req.response_headers.append((b"allow", ", ".join(route[1]).encode()))
            await req.json(method_not_allowed(dialect, method, path, request_id), 405)
            return
        try:
            req.controls = read_controls(mock_headers, schedule.controls(base))
        except ControlError as exc:
            await req.json(error_body(dialect, 400, str(exc), request_id=request_id), 400)
            return
        injected = schedule.admit(path, req.body)  # before any wait: failures go in arrival order
        latency_s = req.controls.latency_s + schedule.latency_s
        if latency_s > 0:
            await asyncio.sleep(latency_s)
        if injected is not None:
            req.response_headers = _failure_headers(dialect, request_id, injected)
            await req.json(error_body(dialect, injected.status, request_id=request_id), injected.status)
            return
        failure = check(dialect, headers, options, request_id, req.query)
        if failure is not None:
            await req.json(failure[1], failure[0])
            return
        status = req.controls.status
        if status is not None:
            await req.json(error_body(dialect, status, request_id=request_id), status)
            return
        try:
            await handler(req)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string
            await req.json(invalid_body(dialect, exc, request_id), 400)
        except ClientGone:
            pass  # the client left mid-stream: nothing more to send
        except DroppedConnection:
            schedule.note_broken_stream()
            raise  # the server aborts the connection
        finally:
            req.finish()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await http(scope, receive, send)
        elif kind == "websocket":
            await openai_responses_ws.serve(
                scope,
                receive,
                send,
                options=options,
                base=base,
                schedule=schedule,
                streams=streams,
                prompt_cache=prompt_cache,
            )
        elif kind == "lifespan":
            await _lifespan(receive, send)

    return app


def _failure_headers(dialect: Dialect, request_id: str, injected: FaultSchedule) -> Headers:
    """What the provider sends with a scheduled failure: its request id, its
    rate-limit headers (used up on a 429) and ``retry-after`` when scheduled."""
    retry_after = injected.retry_after_s
    reset_s = 1 if retry_after is None else retry_after
    limited = injected.status == 429
    headers: Headers
    if dialect is _ANTHROPIC:
        limits = org_limits.anthropic(reset_s if limited else 0, exhausted=limited)
        headers = [(b"request-id", request_id.encode()), *limits]
    elif dialect is _OPENAI:
        limits = org_limits.openai_exhausted(reset_s) if limited else org_limits.OPENAI
        headers = [(b"x-request-id", request_id.encode()), *limits]
    else:
        headers = []
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return headers


def _client(scope: Scope) -> tuple[str, int] | None:
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else None


def _local_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and len(server) > 1 and server[1] is not None else None


async def _plain(send: Send, method: str, path: str, active_streams: int) -> None:
    """``/healthz`` (JSON, with the number of streams in progress), ``/``
    (Ollama's liveness text), and a 404 for anything else (the control port)."""
    if path not in ("/healthz", "/"):
        status, body, kind = 404, b'{"error":"the control port serves /_mock/* and /healthz"}', JSON
    elif method not in ("GET", "HEAD"):
        status, body, kind = 405, b'{"error":"method not allowed"}', b"application/json"
    elif path == "/healthz":
        health = {"status": "ok", "active_streams": active_streams}
        status, body, kind = 200, encode(health), b"application/json"
    else:
        status, body, kind = 200, _OLLAMA_ROOT, b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
