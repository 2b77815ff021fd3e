"""Model prices and per-request cost."""

from ingate_pricing.document import PRICE_KINDS, api_format_of, price_document, provider_choices
from ingate_pricing.override import PriceOverride
from ingate_pricing.rates import ModelPrice, Rates, Tier
from ingate_pricing.sources import CATALOG_SOURCE, OVERRIDE_SOURCE
from ingate_pricing.table import PriceTable

__all__ = [
    "CATALOG_SOURCE",
    "OVERRIDE_SOURCE",
    "PRICE_KINDS",
    "ModelPrice",
    "PriceOverride",
    "PriceTable",
    "Rates",
    "Tier",
    "api_format_of",
    "price_document",
    "provider_choices",
]
