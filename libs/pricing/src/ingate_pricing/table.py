"""What a request cost: the shipped price table, an operator's overrides, one lookup.

Providers name dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`);
a model without an exact entry takes the price of its longest listed prefix, so
`gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`, never as `gpt-4o`.
"""

from importlib import resources
from typing import Final

import msgspec

from ingate_providers import Usage

_PER_TOKEN: Final = 1 / 1_000_000


class ModelPrice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    input: float
    output: float
    cached_input: float | None = None  # None: cached prompt tokens cost as much as others


class _PriceFile(msgspec.Struct):
    models: dict[str, ModelPrice]
    as_of: str = ""
    unit: str = ""


class PriceTable:
    def __init__(self, prices: dict[str, ModelPrice]) -> None:
        self._prices = dict(prices)
        # Longest first, so the most specific prefix wins.
        self._prefixes = sorted(self._prices, key=len, reverse=True)
        self._resolved: dict[str, ModelPrice | None] = {}

    @classmethod
    def shipped(cls, overrides: dict[str, ModelPrice] | None = None) -> "PriceTable":
        data = resources.files("ingate_pricing").joinpath("prices.json").read_bytes()
        prices = msgspec.json.decode(data, type=_PriceFile).models
        return cls({**prices, **(overrides or {})})

    def lists(self, model: str) -> bool:
        """Whether the table has an entry under exactly this name; a prefix match does not count."""
        return model in self._prices

    def price(self, model: str, fmt: str = "") -> ModelPrice | None:
        """`fmt`: the API format of the provider that answered ("" when not known)."""
        del fmt  # the shipped table is keyed by model alone
        if model in self._resolved:
            return self._resolved[model]
        found = self._prices.get(model)
        if found is None:
            found = next((self._prices[p] for p in self._prefixes if model.startswith(p + "-")), None)
        if len(self._resolved) < 4096:  # model names come from callers: bound the memo
            self._resolved[model] = found
        return found

    def ceiling(self, model: str, input_tokens: int, output_tokens: int, fmt: str = "") -> float:
        """The most a request of this size can cost (USD); 0 for a model without a price."""
        price = self.price(model, fmt)
        if price is None:
            return 0.0
        return (input_tokens * price.input + output_tokens * price.output) * _PER_TOKEN

    def cost(self, model: str, usage: Usage, fmt: str = "") -> tuple[float, bool]:
        """(USD, price known) of `usage`. Unknown models cost 0."""
        price = self.price(model, fmt)
        if price is None:
            return 0.0, False
        cached = min(usage.cache_read_tokens, usage.input_tokens)
        cached_rate = price.input if price.cached_input is None else price.cached_input
        usd = (
            (usage.input_tokens - cached) * price.input
            + cached * cached_rate
            + usage.output_tokens * price.output
        ) * _PER_TOKEN
        return usd, True
