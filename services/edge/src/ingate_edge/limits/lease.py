"""What one edge holds of the shared limits: leases, the plan of a (key, user) pair, and
what an admitted request took."""

import asyncio
import time
from typing import Final

import msgspec

from ingate_contracts import KeyRecord
from ingate_edge.headers import RESPONSE_DROPPED
from ingate_edge.limits.bucket import WINDOW_S, BucketState
from ingate_edge.limits.headers import Headers, duration, header_names
from ingate_edge.limits.ledger import Budget

REQUESTS: Final = b"requests"
TOKENS: Final = b"tokens"
NAMES: Final = {REQUESTS: header_names(REQUESTS), TOKENS: header_names(TOKENS)}


class Lease:
    """What this edge holds of one shared bucket, and how it reports it."""

    __slots__ = (
        "busy",
        "expires",
        "extra",
        "fallback",
        "kind",
        "level",
        "limit",
        "limit_pair",
        "name",
        "names",
        "per_second",
        "permits",
        "refill_at",
        "reset_key",
        "reset_value",
        "seen_at",
    )

    def __init__(self, name: str, limit: int, kind: bytes) -> None:
        self.name = name
        self.kind = kind  # REQUESTS or TOKENS
        self.names = NAMES[kind]
        self.permits = 0.0
        self.expires = 0.0  # monotonic
        self.extra = 0.0  # the slice taken beyond the need, last time
        self.refill_at = -1.0  # permits below which the next slice is taken ahead; -1: never
        self.level = float(limit)  # the shared level when last seen, and when (unix seconds)
        self.seen_at = 0.0
        self.busy: asyncio.Future[None] | None = None
        self.fallback: BucketState | None = None  # this edge's own bucket while NATS is away
        self.relimit(limit)

    def relimit(self, limit: int) -> None:
        self.limit = limit
        self.per_second = limit / WINDOW_S
        self.limit_pair = (self.names[0], str(limit).encode())
        self.reset_key = -1
        self.reset_value = b""

    def add_headers(self, into: Headers, now: float) -> None:
        """The x-ratelimit-* headers for this limit: what this edge holds plus what the
        shared bucket held when last seen, refilled since.

        On every response of a limited key, so kept flat; the reset text is formatted once
        per millisecond it moves (at high rates it moves far slower than requests arrive).
        """
        limit = self.limit
        level = self.level + (now - self.seen_at) * self.per_second
        remaining = self.permits + (level if level < limit else limit)
        reset_s = (limit - remaining) / self.per_second
        reset_key = int(reset_s * 1000)
        if reset_key != self.reset_key:
            self.reset_key = reset_key
            self.reset_value = duration(reset_s)
        names = self.names
        into += (
            self.limit_pair,
            # %d truncates: the floor, for the positive numbers it gets
            (names[1], b"%d" % remaining if remaining > 0.0 else b"0"),
            (names[2], self.reset_value),
        )


class Plan:
    """The limits one (key, end user) pair is under, resolved to this edge's leases once.

    Built from one KeyRecord: the key store replaces the record when the key changes, so a
    plan whose record is no longer the current one is simply built again.
    """

    __slots__ = ("budget", "dropped", "key", "reported", "requests", "tokens")

    def __init__(
        self, key: KeyRecord, requests: tuple[Lease, ...], tokens: tuple[Lease, ...], budget: Budget | None
    ) -> None:
        self.key = key
        self.requests = requests
        self.tokens = tokens
        self.budget = budget
        # The key's own limit comes first in each kind, and the first is the one reported.
        self.reported = tuple(leases[0] for leases in (requests, tokens) if leases)
        # The provider's headers of the same names would arrive twice (httpx joins them into
        # one unreadable "59, 9999"), so they are not passed on.
        self.dropped = RESPONSE_DROPPED.union(*(lease.names for lease in self.reported))


class Admission(msgspec.Struct, gc=False):
    """What one admitted request holds: `tokens` reserved (capped at each limit) under `plan`,
    and `reserved` micro-USD of its key's budget (its maximum cost)."""

    plan: Plan
    tokens: int
    reserved: int = 0

    def add_headers(self, into: Headers) -> None:
        """The x-ratelimit-* headers, as things stand now."""
        now = time.time()
        for lease in self.plan.reported:
            lease.add_headers(into, now)
