"""Model prices and per-request cost."""

from ingate_pricing.table import ModelPrice, PriceTable

__all__ = ["ModelPrice", "PriceTable"]
