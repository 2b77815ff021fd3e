"""Model prices and per-request cost."""

from ingate_pricing.override import PriceOverride
from ingate_pricing.rates import ModelPrice, Rates, Tier
from ingate_pricing.sources import CATALOG_SOURCE, OVERRIDE_SOURCE
from ingate_pricing.table import PriceTable

__all__ = ["CATALOG_SOURCE", "OVERRIDE_SOURCE", "ModelPrice", "PriceOverride", "PriceTable", "Rates", "Tier"]
