"""An operator's price for one model (`prices:` in the config, `INGATE_PRICES_FILE`)."""

from typing import Annotated

import msgspec

from ingate_pricing.fill import complete_rates
from ingate_pricing.rates import ModelPrice
from ingate_pricing.sources import OVERRIDE_SOURCE

UsdPerMillion = Annotated[float, msgspec.Meta(ge=0)]


class PriceOverride(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """USD per million tokens. Kinds left out cost what the provider bills for them instead
    (see `complete_rates`)."""

    input: UsdPerMillion
    output: UsdPerMillion
    cache_read: UsdPerMillion | None = None
    cached_input: UsdPerMillion | None = None  # the earlier name of cache_read, still read
    cache_write: UsdPerMillion | None = None  # written for 5 minutes
    cache_write_1h: UsdPerMillion | None = None
    reasoning: UsdPerMillion | None = None

    def __post_init__(self) -> None:
        if self.cache_read is not None and self.cached_input is not None:
            raise ValueError("cache_read and cached_input are the same price: give one")

    def price(self, anthropic: bool) -> ModelPrice:
        rates = complete_rates(
            input=self.input,
            output=self.output,
            cache_read=self.cache_read if self.cache_read is not None else self.cached_input,
            cache_write=self.cache_write,
            cache_write_1h=self.cache_write_1h,
            reasoning=self.reasoning,
            anthropic=anthropic,
        )
        return ModelPrice(rates=rates, source=OVERRIDE_SOURCE)
