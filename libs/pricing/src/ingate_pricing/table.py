"""What a request cost: the catalog's prices, an operator's overrides on top, one lookup per model.

Resolving a model in the catalog takes a scan of its providers (over 100 µs); a request has
only about a microsecond for its cost, so each (model, format) is resolved once and memoized.
The memo is bounded, since model names come from callers, and forgotten when a price in it
reaches the instant the catalog changes it (time-of-day prices, announced new prices).

An override applies to the name it is given under and to every name the catalog counts as the
same model: overriding `gpt-4o` prices `gpt-4o-2024-08-06` too, but not `gpt-4o-mini`.

Importing and indexing the catalog takes most of a second, so it happens at the first lookup
(or `load`), never on a service's way to serving.
"""

import functools
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final

from ingate_pricing.override import PriceOverride
from ingate_pricing.rates import ModelPrice
from ingate_providers import Usage

_MEMO_SIZE: Final = 4096
_ANTHROPIC: Final = "anthropic"


class PriceTable:
    def __init__(
        self, overrides: Mapping[str, PriceOverride], *, clock: Callable[[], float] = time.time
    ) -> None:
        """`clock`: the current POSIX time, which picks the catalog's prices that depend on it."""
        self._clock = clock
        self._overrides = dict(overrides)
        self._overridden: dict[tuple[str, str], str] | None = None  # built with the catalog
        self._memo = functools.lru_cache(maxsize=_MEMO_SIZE)(self._resolve)

    @classmethod
    def shipped(cls, overrides: Mapping[str, PriceOverride] | None = None) -> "PriceTable":
        """The catalog Ingate ships with, and `overrides` (the settings' `prices`) on top."""
        return cls(overrides or {})

    def load(self) -> None:
        """Import and index the catalog now, so that no request waits for it."""
        from ingate_pricing.catalog import load_catalog  # lazily: see the module's docstring

        load_catalog()
        self._catalog_overrides()

    def lists(self, model: str) -> bool:
        """Whether this is a real model's name: the catalog knows it, or an override names it."""
        from ingate_pricing.catalog import find_model  # lazily: see the module's docstring

        return model in self._overrides or find_model(model, "") is not None

    def price(self, model: str, fmt: str = "") -> ModelPrice | None:
        """`fmt`: the API format of the provider that answered ("" when not known); it picks the
        catalog's provider, and Anthropic's cache-write rules."""
        price = self._memo(model, fmt)
        if price is not None and price.until <= self._clock():
            # The catalog changes this price now (peak hours, a new price): resolve everything
            # again, which happens a few times a day at most.
            self._memo.cache_clear()
            price = self._memo(model, fmt)
        return price

    def ceiling(self, model: str, input_tokens: int, output_tokens: int, fmt: str = "") -> float:
        """The most a request of this size can cost (USD); 0 for a model without a price."""
        price = self.price(model, fmt)
        if price is None:
            return 0.0
        return price.at(input_tokens).ceiling(input_tokens, output_tokens)

    def cost(self, model: str, usage: Usage, fmt: str = "") -> tuple[float, bool]:
        """(USD, price known) of `usage`. Unknown models cost 0."""
        price = self.price(model, fmt)
        if price is None:
            return 0.0, False
        return price.at(usage.input_tokens).cost(usage), True

    def _catalog_overrides(self) -> dict[tuple[str, str], str]:
        """(catalog provider, catalog model) -> the name of its override, for the model's other names."""
        if self._overridden is None:
            from ingate_pricing.catalog import find_model  # lazily: see the module's docstring

            # Built whole, then published: `load` may run on another thread than the lookups.
            overridden: dict[tuple[str, str], str] = {}
            for name in self._overrides:
                found = find_model(name, "")
                if found is not None:
                    overridden.setdefault((found[0].id, found[1].id), name)
            self._overridden = overridden
        return self._overridden

    def _resolve(self, model: str, fmt: str) -> ModelPrice | None:
        from ingate_pricing.catalog import catalog_price, find_model  # lazily: see the docstring

        found = find_model(model, fmt)
        # Anthropic's cache-write multiples apply to whatever Anthropic bills: its format or its models.
        anthropic = fmt == _ANTHROPIC or (found is not None and found[0].id == _ANTHROPIC)
        name = model if model in self._overrides else None
        if name is None and found is not None:
            name = self._catalog_overrides().get((found[0].id, found[1].id))
        if name is not None:
            return self._overrides[name].price(anthropic)
        now = datetime.fromtimestamp(self._clock(), UTC)
        return None if found is None else catalog_price(found[1], anthropic, now)
