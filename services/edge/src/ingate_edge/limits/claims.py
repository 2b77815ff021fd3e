"""What the edges have reserved of one key's monthly budget: the shared entry and its arithmetic.

One KV entry per key and month holds each edge's claim (micro-USD) and when it lapses. A claim
covers what that edge has in flight (each request's maximum cost) plus what it has spent but
not yet added to the shared spend. An edge may claim only what the budget leaves after the
shared spend and every other edge's live claim, so no two edges can hold the same dollars. A
claim its edge stops renewing (the edge died, or lost NATS) lapses after its ttl and counts
for nothing from then on. Pure functions; the ledger does the reading and writing.
"""

from typing import Final

import msgspec

MICRO: Final = 1_000_000
# Far from the end of a budget an edge claims this fraction of what is left beyond the request
# in hand, so that the next requests are admitted locally; near the end the fraction is worth
# less than a request and every request claims exactly its own maximum cost.
SLICE_FRACTION: Final = 20
MAX_SLICE_REQUESTS: Final = 1000


class Claim(msgspec.Struct, array_like=True, frozen=True):
    micro: int
    lapses_at: float  # unix seconds


class Claims(msgspec.Struct, frozen=True):
    by_edge: dict[str, Claim] = msgspec.field(default_factory=dict)


def live(claim: Claim | None, now: float) -> int:
    return claim.micro if claim is not None and claim.lapses_at > now else 0


def held_by_others(claims: Claims, edge: str, now: float) -> int:
    return sum(live(claim, now) for name, claim in claims.by_edge.items() if name != edge)


def left_to_claim(budget_micro: int, spent_micro: int, claims: Claims, edge: str, now: float) -> int:
    """What `edge` may add to its own claim: the budget less the shared spend and every live claim."""
    held = held_by_others(claims, edge, now) + live(claims.by_edge.get(edge), now)
    return budget_micro - spent_micro - held


def to_claim(short: int, need: int, left: int) -> int | None:
    """How much to add to a claim that is `short` of a request needing `need`: None when the
    budget lacks `short`, else `short` plus a slice of the rest for the requests to come."""
    if left < short:
        return None
    extra = min((left - short) // SLICE_FRACTION, MAX_SLICE_REQUESTS * need)
    return short + extra


def with_claim(claims: Claims, edge: str, micro: int, lapses_at: float, now: float) -> Claims:
    """The entry with `edge`'s claim set (or dropped at 0), and lapsed claims cleared away."""
    kept = {name: claim for name, claim in claims.by_edge.items() if name != edge and claim.lapses_at > now}
    if micro > 0:
        kept[edge] = Claim(micro, lapses_at)
    return Claims(kept)
