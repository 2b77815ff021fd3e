"""A model's price as a document: what `ingate prices show --json` prints and the console shows."""

from collections.abc import Mapping
from typing import Any, Final

from ingate_pricing.rates import ModelPrice, Rates
from ingate_providers import FORMATS

# Each kind's label and field, in the order a bill reads.
PRICE_KINDS: Final = (
    ("input", "input"),
    ("cache read", "cache_read"),
    ("cache write 5m", "cache_write"),
    ("cache write 1h", "cache_write_1h"),
    ("output", "output"),
    ("reasoning", "reasoning"),
)


def _per_million(rates: Rates) -> dict[str, float]:
    """USD per million tokens of each kind."""
    return {field: getattr(rates, field) for _, field in PRICE_KINDS}


def price_document(model: str, provider: str, price: ModelPrice) -> dict[str, Any]:
    return {
        "model": model,
        "provider": provider,
        "source": price.source,
        "usd_per_million_tokens": _per_million(price.rates),
        "tiers": [
            {"above_input_tokens": tier.above, "usd_per_million_tokens": _per_million(tier.rates)}
            for tier in price.tiers
        ],
    }


def api_format_of(provider: str, configured: Mapping[str, str]) -> str | None:
    """The API format `provider` names for a price lookup: a configured provider's (`configured`
    maps each name to its format), the format itself, "" (any) when empty, None when unknown."""
    if not provider:
        return ""
    if provider in configured:
        return configured[provider]
    return provider if provider in FORMATS else None


def provider_choices(configured: Mapping[str, str]) -> list[str]:
    """Every name `api_format_of` knows: the configured providers and the API formats."""
    return sorted({*configured, *FORMATS})
