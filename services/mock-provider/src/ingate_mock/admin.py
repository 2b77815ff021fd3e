"""The control API: an instance's fault schedule and counters over HTTP.

- ``GET /_mock/faults``: ``{"schedule": {...}, "stats": {...}}``, the schedule in
  force (its ``fail_next`` is what is left) and the counters.
- ``POST /_mock/faults``: the body is a schedule (fields in ``schedule.py``), e.g.
  ``{"fail_next": 2, "status": 500}``, which replaces the current one whole;
  answers as ``GET``.
- ``DELETE /_mock/faults``: a healthy instance again; answers as ``GET``.
- ``GET /_mock/stats``: the counters, ``requests``, ``served``, ``failed``,
  ``broken_streams``, ``websockets`` (sockets accepted) and ``paths`` (requests per path).
- ``DELETE /_mock/stats``: zero the counters (and forget the bodies received); answers with them.
- ``GET /_mock/received``: ``{"received": {path: body}}``, the body each API path last
  received (as JSON when it is JSON, else as text), to see what a gateway forwarded.

Errors answer ``{"error": "<why>"}``: 400 for a body that is not a schedule
(malformed JSON, an unknown field, a value out of range), 404 and 405, 409 for
``refuse_connections`` in an app running without the mock's own server (one
made with ``create_app`` and served by something else), 500 when the API port
could not be closed or opened again. A rejected body leaves the schedule as it
was.

The routes answer on the API port and on the control port. While the API port
refuses connections only the control port is reachable, so that is the way
back; turning refusal on over the API port closes that connection after the
answer, since a kept-alive connection would otherwise keep working.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from ingate_mock.schedule import Faults, FaultSchedule
from ingate_mock.wire import JSON, Headers, Send, encode

PREFIX = "/_mock/"
FAULTS = "/_mock/faults"
STATS = "/_mock/stats"
RECEIVED = "/_mock/received"
_ALLOWED = {FAULTS: "GET, POST, DELETE", STATS: "GET, DELETE", RECEIVED: "GET"}
_decode_schedule = msgspec.json.Decoder(FaultSchedule).decode


class Door(Protocol):
    """The server side of ``refuse_connections`` (``server.MockServer``)."""

    @property
    def control_port(self) -> int | None:
        """The port that serves only the control API (``None`` before it listens)."""

    async def refuse(self, keep: tuple[str, int] | None) -> None:
        """Stop accepting on the API port and reset its connections but ``keep``."""

    async def accept(self) -> None:
        """Accept on the API port again."""


class Problem(msgspec.Struct, frozen=True):
    """A control request the mock could not carry out."""

    error: str


class Received(msgspec.Struct, frozen=True):
    """The answer of ``GET /_mock/received``."""

    received: dict[str, Any]


def _readable(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body.decode(errors="replace")


async def handle(
    method: str,
    path: str,
    body: bytes,
    client: tuple[str, int] | None,
    send: Send,
    faults: Faults,
    door: Door | None,
) -> None:
    """Answer one request under ``/_mock/``."""
    allowed = _ALLOWED.get(path)
    if allowed is None:
        await _answer(send, 404, Problem(f"no control route {path}; try {FAULTS}, {STATS} or {RECEIVED}"))
        return
    if method not in allowed.split(", "):
        problem = Problem(f"{method} is not allowed on {path}")
        await _answer(send, 405, problem, [(b"allow", allowed.encode())])
        return
    if path == RECEIVED:
        bodies = {p: _readable(body) for p, body in faults.received.items()}
        await _answer(send, 200, Received(bodies))
        return
    if path == STATS:
        if method == "DELETE":
            faults.reset_stats()
        await _answer(send, 200, faults.stats)
        return
    if method == "GET":
        await _answer(send, 200, faults.state())
        return
    if method == "DELETE":
        schedule = FaultSchedule()
    else:
        try:
            schedule = _decode_schedule(body)
        except msgspec.DecodeError as exc:
            await _answer(send, 400, Problem(f"not a fault schedule: {exc}"))
            return
    refuse_now = schedule.refuse_connections and not faults.refusing
    accept_now = faults.refusing and not schedule.refuse_connections
    if door is None and refuse_now:
        problem = Problem("refuse_connections needs the mock's own server (python -m ingate_mock)")
        await _answer(send, 409, problem)
        return
    try:
        if door is not None and refuse_now:
            await door.refuse(client)
        elif door is not None and accept_now:
            await door.accept()
    except OSError as exc:
        await _answer(send, 500, Problem(f"could not switch the API port: {exc}"))
        return
    faults.set(schedule)
    await _answer(send, 200, faults.state(), [(b"connection", b"close")] if refuse_now else [])


async def _answer(send: Send, status: int, obj: msgspec.Struct, extra: Headers | None = None) -> None:
    body = encode(obj)
    headers = [(b"content-type", JSON), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
