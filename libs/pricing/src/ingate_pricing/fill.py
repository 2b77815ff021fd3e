"""The rate of each token kind a price does not name: what the provider bills for it instead."""

from ingate_pricing.rates import Rates

# Anthropic bills cache writes above the input rate: 1.25x for 5 minutes, 2x for an hour
# (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing).
_ANTHROPIC_WRITE_5M = 1.25
_ANTHROPIC_WRITE_1H = 2.0


def complete_rates(
    *,
    input: float,
    output: float,
    cache_read: float | None,
    cache_write: float | None,
    cache_write_1h: float | None,
    reasoning: float | None,
    anthropic: bool,
) -> Rates:
    """Rates with every kind filled in. Without a price of their own, cache reads cost as much
    as other input, reasoning as much as other output; cache writes cost Anthropic's multiples
    of input for an Anthropic model, otherwise input (5-minute writes) or the 5-minute rate
    (1-hour writes), which is how the catalog itself counts tokens of an unpriced kind."""
    if cache_write is None:
        cache_write = input * _ANTHROPIC_WRITE_5M if anthropic else input
    if cache_write_1h is None:
        cache_write_1h = input * _ANTHROPIC_WRITE_1H if anthropic else cache_write
    return Rates(
        input=input,
        cache_read=input if cache_read is None else cache_read,
        cache_write=cache_write,
        cache_write_1h=cache_write_1h,
        output=output,
        reasoning=output if reasoning is None else reasoning,
    )
