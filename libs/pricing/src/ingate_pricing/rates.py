"""A model's resolved price: USD per million tokens of every token kind, and its prompt-size tiers.

Every kind is filled in when the price is resolved (a missing cache price falls back to the
rate the provider bills instead), so the request path does arithmetic only.
"""

import math

import msgspec

from ingate_providers import Usage

_PER_TOKEN = 1 / 1_000_000


class Rates(msgspec.Struct, frozen=True, kw_only=True):
    """USD per million tokens of each kind Ingate counts."""

    input: float  # prompt tokens neither read from nor written to the cache
    cache_read: float
    cache_write: float  # written for 5 minutes
    cache_write_1h: float
    output: float  # output tokens other than reasoning
    reasoning: float

    def cost(self, usage: Usage) -> float:
        """USD of `usage`, each kind at its own rate. `input_tokens` includes the cache reads
        and writes, `output_tokens` the reasoning; a reader's inconsistent counts never go negative."""
        writes_1h = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
        uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
        reasoning = min(usage.reasoning_tokens, usage.output_tokens)
        return (
            uncached * self.input
            + usage.cache_read_tokens * self.cache_read
            + (usage.cache_write_tokens - writes_1h) * self.cache_write
            + writes_1h * self.cache_write_1h
            + (usage.output_tokens - reasoning) * self.output
            + reasoning * self.reasoning
        ) * _PER_TOKEN

    def ceiling(self, input_tokens: int, output_tokens: int) -> float:
        """The most `input_tokens` and `output_tokens` can cost: every prompt token at the dearest
        input-side rate (a cache write can cost more than plain input), output at the dearer of
        the output rates."""
        dearest_input = max(self.input, self.cache_read, self.cache_write, self.cache_write_1h)
        return (input_tokens * dearest_input + output_tokens * max(self.output, self.reasoning)) * _PER_TOKEN


class Tier(msgspec.Struct, frozen=True):
    """Rates for every token of a request whose prompt (cached tokens included) exceeds `above`."""

    above: int
    rates: Rates


class ModelPrice(msgspec.Struct, frozen=True, kw_only=True):
    rates: Rates  # below the first tier
    tiers: tuple[Tier, ...] = ()  # ascending by `above`
    source: str  # where the price came from, as `ingate prices show` prints it
    until: float = math.inf  # POSIX time the catalog changes this price (peak hours, a new price)

    def at(self, input_tokens: int) -> Rates:
        """The rates of a request with `input_tokens` prompt tokens: the whole request at the
        highest tier it crosses, as providers bill tiers (a cliff, not a marginal rate)."""
        for tier in reversed(self.tiers):
            if input_tokens > tier.above:
                return tier.rates
        return self.rates
