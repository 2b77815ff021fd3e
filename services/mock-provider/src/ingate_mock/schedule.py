"""An instance's fault schedule: how this one port misbehaves, whoever calls it.

``X-Mock-*`` headers steer a single request, but a gateway in front of the mock
forwards no test headers. A schedule belongs to the instance instead: it is set
at start (``--fail-next``, ``--fail-status``, ... see ``cli.py``) or at run time
through the control API (``admin.py``), and applies to every API request the
instance answers, on every path, streamed or not.

Fields of :class:`FaultSchedule` (every one optional; an omitted field takes the
default, so each new schedule replaces the previous one whole):

``status`` (500)
    Status of the injected failures, 400 to 599 (429 rate limit, 529 overloaded
    for Anthropic, ...). The body is the path's dialect's real error body.
``fail_next`` (0)
    The next N API requests fail. Each request takes one as it arrives, so N
    concurrent requests fail exactly N times; ``GET /_mock/faults`` shows how
    many are left.
``fail_share`` (0.0)
    Once ``fail_next`` is used up, each request fails with this probability,
    drawn from ``random.Random(seed)``: the same requests in the same order fail
    the same way on every run.
``seed`` (0)
    Seed of those draws; setting a schedule restarts the sequence.
``retry_after_s`` (none)
    Failures carry ``retry-after: N``. A 429 also carries the provider's
    exhausted rate-limit headers, whose reset is this (or 1 s when unset).
``latency_s`` (0.0)
    Extra wait before every API answer, failures included, on top of any other
    latency: a slow deployment, for least-busy or latency-based routing.
``break_stream_after`` (none)
    Streamed answers lose their connection after N events, as the
    ``X-Mock-Drop-After`` header does (which still wins for its request).
``omit_usage`` (false)
    Streamed answers end without their usage report, as OpenAI-compatible servers that
    ignore ``stream_options.include_usage`` do: no usage chunk (chat), ``"usage": null``
    (Responses), no ``usage`` in ``message_start`` or ``message_delta`` (Anthropic), no
    counts on the final line (Ollama). The ``X-Mock-Omit-Usage`` header still wins.
``refuse_connections`` (false)
    The API port stops accepting connections and resets the open ones, so a
    client sees a connection error; see ``server.py`` for how the control API
    stays reachable meanwhile.
"""

from __future__ import annotations

import dataclasses
import random
from typing import TYPE_CHECKING, Annotated

import msgspec

if TYPE_CHECKING:  # controls imports the options, which hold a schedule
    from ingate_mock.controls import Controls


class FaultSchedule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When and how an instance fails (the body of ``POST /_mock/faults``)."""

    status: Annotated[int, msgspec.Meta(ge=400, le=599)] = 500
    fail_next: Annotated[int, msgspec.Meta(ge=0)] = 0
    fail_share: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0
    seed: int = 0
    retry_after_s: Annotated[int, msgspec.Meta(ge=0)] | None = None
    latency_s: Annotated[float, msgspec.Meta(ge=0.0, le=3600.0)] = 0.0
    break_stream_after: Annotated[int, msgspec.Meta(ge=0)] | None = None
    omit_usage: bool = False
    refuse_connections: bool = False


class Stats(msgspec.Struct, kw_only=True):
    """What the instance's API paths have answered since start (or the last reset).

    ``requests`` counts the requests that reached a known API route and were
    measured against the schedule; each was then either ``served`` (handed to
    the route) or ``failed`` (answered with the schedule's error). Streams the
    mock cut on purpose (schedule or header) count in ``broken_streams``.
    Connections refused at the socket never reach the app and count nowhere.
    """

    requests: int = 0
    served: int = 0
    failed: int = 0
    broken_streams: int = 0
    websockets: int = 0  # Responses WebSockets accepted (each create counts as a request on the path)
    paths: dict[str, int] = msgspec.field(default_factory=dict)


class FaultState(msgspec.Struct, frozen=True, kw_only=True):
    """The answer of ``GET /_mock/faults``: the live schedule and the counters."""

    schedule: FaultSchedule
    stats: Stats


class Faults:
    """The live schedule of one instance, with its counters and random draws."""

    __slots__ = ("_fail_left", "_random", "_schedule", "received", "stats")

    def __init__(self, schedule: FaultSchedule | None = None) -> None:
        self._schedule = FaultSchedule()
        self._fail_left = 0
        self._random = random.Random(0)
        self.stats = Stats()
        # the body each API path last received, so a test can see what a gateway forwarded
        self.received: dict[str, bytes] = {}
        self.set(schedule or FaultSchedule())

    @property
    def schedule(self) -> FaultSchedule:
        """The schedule in force, ``fail_next`` counting what is left of it."""
        return msgspec.structs.replace(self._schedule, fail_next=self._fail_left)

    @property
    def refusing(self) -> bool:
        return self._schedule.refuse_connections

    def set(self, schedule: FaultSchedule) -> None:
        """Replace the schedule; the counters carry on."""
        self._schedule = schedule
        self._fail_left = schedule.fail_next
        self._random = random.Random(schedule.seed)

    def clear(self) -> None:
        """Back to a healthy instance."""
        self.set(FaultSchedule())

    def reset_stats(self) -> None:
        self.stats = Stats()
        self.received = {}

    def state(self) -> FaultState:
        return FaultState(schedule=self.schedule, stats=self.stats)

    def admit(self, path: str, body: bytes = b"") -> FaultSchedule | None:
        """Count a request on ``path`` (keeping its ``body`` as the path's last received); the
        schedule if it must fail, else ``None``.

        Nothing here awaits, so on the event loop each request takes its
        ``fail_next`` or its draw whole, in arrival order.
        """
        stats = self.stats
        stats.requests += 1
        stats.paths[path] = stats.paths.get(path, 0) + 1
        self.received[path] = body
        schedule = self._schedule
        failing = False
        if self._fail_left > 0:
            self._fail_left -= 1
            failing = True
        elif schedule.fail_share > 0.0:
            failing = self._random.random() < schedule.fail_share
        if failing:
            stats.failed += 1
            return schedule
        stats.served += 1
        return None

    def controls(self, base: Controls) -> Controls:
        """The instance defaults for a request, with the schedule's stream break and usage."""
        schedule = self._schedule
        drop_after = base.drop_after if schedule.break_stream_after is None else schedule.break_stream_after
        omit_usage = base.omit_usage or schedule.omit_usage
        return dataclasses.replace(base, drop_after=drop_after, omit_usage=omit_usage)

    @property
    def latency_s(self) -> float:
        return self._schedule.latency_s

    def note_broken_stream(self) -> None:
        self.stats.broken_streams += 1
