"""Model prices and per-request cost."""

from ingate_pricing.catalog import CATALOG_SOURCE
from ingate_pricing.override import OVERRIDE_SOURCE, PriceOverride
from ingate_pricing.rates import ModelPrice, Rates, Tier
from ingate_pricing.table import PriceTable

__all__ = ["CATALOG_SOURCE", "OVERRIDE_SOURCE", "ModelPrice", "PriceOverride", "PriceTable", "Rates", "Tier"]
