"""Prices from the maintained `genai-prices` catalog, resolved into Ingate's `ModelPrice`.

The catalog's own lookups memoize every name they are asked for without bound; model names come
from callers, so this module asks the providers' tables directly and leaves the (bounded)
memoizing to `PriceTable`.
"""

from datetime import datetime
from decimal import Decimal
from typing import Final

from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, Provider, TieredPrices

from ingate_pricing.changes import next_change
from ingate_pricing.fill import complete_rates
from ingate_pricing.rates import ModelPrice, Rates, Tier
from ingate_pricing.sources import CATALOG_SOURCE

# The catalog's provider for each API format. Ollama serves local models, which have no price
# in a catalog of hosted APIs: they are priced only by an operator's override.
_CATALOG_PROVIDER: Final = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}
_LOCAL_FORMATS: Final = frozenset({"ollama"})

# The catalog's price key of each kind Ingate counts.
_KEYS: Final = {
    "input": "input_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
    "output": "output_mtok",
    "reasoning": "output_reasoning_mtok",
}

PriceValue = Decimal | TieredPrices | None


def load_catalog() -> None:
    """Build the catalog's index of providers and models (it is built once, on first use)."""
    data_snapshot.get_snapshot()


def find_model(model: str, fmt: str) -> tuple[Provider, ModelInfo] | None:
    """The catalog's entry for `model` as a provider of format `fmt` serves it: that format's
    provider first, then whichever provider the catalog says names models like this (a provider
    alias of format openai may well serve another vendor's models)."""
    if not model or fmt in _LOCAL_FORMATS:
        return None
    providers = data_snapshot.get_snapshot().providers
    home = _CATALOG_PROVIDER.get(fmt)
    candidates = [p for p in providers if p.id == home]
    lowered = model.lower()
    candidates += [p for p in providers if p.model_match is not None and p.model_match.is_match(lowered)]
    for provider in candidates:
        found = provider.find_model(model, all_providers=providers)
        if found is not None:
            return provider, found
    return None


def catalog_price(info: ModelInfo, anthropic: bool, now: datetime) -> ModelPrice | None:
    """The price of a catalog entry at `now` (`anthropic`: billed by Anthropic's rules), each
    tier with every kind at its rate in that tier, until the catalog's next change of it; None
    for an entry priced by something other than tokens (audio hours, requests)."""
    prices = info.get_prices(now)
    values = {kind: getattr(prices, key) for kind, key in _KEYS.items()}
    if values["input"] is None and values["output"] is None:
        return None
    starts = sorted({t.start for v in values.values() if isinstance(v, TieredPrices) for t in v.tiers})
    return ModelPrice(
        rates=_rates_at(values, -1, anthropic),
        tiers=tuple(Tier(start, _rates_at(values, start, anthropic)) for start in starts),
        source=CATALOG_SOURCE,
        until=next_change(info, now),
    )


def _rates_at(values: dict[str, PriceValue], above: int, anthropic: bool) -> Rates:
    """The rates of a prompt just over `above` tokens (-1: below every tier)."""
    at = {kind: _value_at(value, above) for kind, value in values.items()}
    return complete_rates(
        input=at["input"] or 0.0,
        output=at["output"] or 0.0,
        cache_read=at["cache_read"],
        cache_write=at["cache_write"],
        cache_write_1h=at["cache_write_1h"],
        reasoning=at["reasoning"],
        anthropic=anthropic,
    )


def _value_at(value: PriceValue, above: int) -> float | None:
    if not isinstance(value, TieredPrices):
        return None if value is None else float(value)
    price = value.base
    for tier in value.tiers:  # ascending: the last tier `above` has reached wins
        if tier.start <= above:
            price = tier.price
    return float(price)
