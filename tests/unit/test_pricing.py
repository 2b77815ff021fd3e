"""The price table: catalog lookups by API format, the operator's overrides, tiers, the ceiling."""

import pytest

from ingate_pricing import CATALOG_SOURCE, OVERRIDE_SOURCE, PriceOverride, PriceTable
from ingate_providers import Usage

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("model", "canonical", "fmt"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o", "openai"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4-0", "anthropic"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "anthropic"),
        ("o3-mini-2025-01-31", "o3-mini", "openai"),
    ],
)
def test_snapshot_names_resolve_as_the_catalog_resolves_them(model: str, canonical: str, fmt: str) -> None:
    table = PriceTable.shipped()
    price = table.price(model, fmt)
    assert price is not None
    assert price == table.price(canonical, fmt)
    assert price.source == CATALOG_SOURCE


def test_a_provider_alias_of_a_format_finds_other_vendors_models_too() -> None:
    # An openai-format alias in front of Anthropic's models still gets Anthropic's price.
    table = PriceTable.shipped()
    assert table.price("claude-sonnet-4-20250514", "openai") == table.price(
        "claude-sonnet-4-20250514", "anthropic"
    )


@pytest.mark.parametrize(
    ("model", "fmt"),
    [("llama3.2", "ollama"), ("gpt-4o", "ollama"), ("gpt-4oX", "openai"), ("", ""), ("claude", "")],
)
def test_unknown_models_cost_nothing_and_say_so(model: str, fmt: str) -> None:
    assert PriceTable.shipped().cost(model, Usage(input_tokens=1000, output_tokens=1000), fmt) == (0.0, False)


def test_an_override_wins_for_its_name_and_the_catalogs_snapshots_of_it() -> None:
    table = PriceTable.shipped({"gpt-4o": PriceOverride(input=1.0, output=1.0)})
    assert table.cost("gpt-4o-2024-08-06", Usage(input_tokens=MILLION), "openai") == (1.0, True)
    price = table.price("gpt-4o", "openai")
    assert price is not None
    assert price.source == OVERRIDE_SOURCE
    mini = table.price("gpt-4o-mini", "openai")  # another model, though its name starts the same
    assert mini is not None
    assert mini.source == CATALOG_SOURCE


def test_an_override_prices_a_model_the_catalog_does_not_know() -> None:
    table = PriceTable.shipped({"llama3.2": PriceOverride(input=0.0, output=0.0)})
    assert table.cost("llama3.2", Usage(input_tokens=10, output_tokens=10), "ollama") == (0.0, True)


def test_override_kinds_left_out_cost_what_the_provider_bills_instead() -> None:
    table = PriceTable.shipped({"m": PriceOverride(input=2.0, output=10.0, cached_input=0.5)})
    price = table.price("m", "openai")
    assert price is not None
    rates = price.rates
    assert (rates.cache_read, rates.cache_write, rates.cache_write_1h, rates.reasoning) == (
        0.5,
        2.0,
        2.0,
        10.0,
    )
    anthropic = table.price("m", "anthropic")
    assert anthropic is not None
    assert (anthropic.rates.cache_write, anthropic.rates.cache_write_1h) == (2.5, 4.0)  # 1.25x and 2x input


def test_reasoning_priced_apart_by_an_override() -> None:
    table = PriceTable.shipped({"m": PriceOverride(input=2.0, output=8.0, reasoning=3.0)})
    usd, known = table.cost("m", Usage(input_tokens=MILLION, output_tokens=MILLION, reasoning_tokens=400_000))
    assert known
    assert usd == pytest.approx(2.0 + 0.6 * 8.0 + 0.4 * 3.0, abs=1e-12)


def test_tiers_price_the_whole_request_at_the_tier_its_prompt_reaches() -> None:
    table = PriceTable.shipped()
    below = table.cost("claude-sonnet-4-5", Usage(input_tokens=200_000, output_tokens=1000), "anthropic")
    above = table.cost("claude-sonnet-4-5", Usage(input_tokens=200_001, output_tokens=1000), "anthropic")
    assert below[0] == pytest.approx((200_000 * 3.0 + 1000 * 15.0) / MILLION, abs=1e-12)
    assert above[0] == pytest.approx((200_001 * 6.0 + 1000 * 22.5) / MILLION, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "fmt", "input_tokens", "dearest_input", "output"),
    [
        ("claude-sonnet-4-20250514", "anthropic", 1000, 6.0, 15.0),  # a 1-hour cache write costs 2x input
        ("claude-sonnet-4-5", "anthropic", 300_000, 12.0, 22.5),  # the tier of a long prompt
        ("gpt-4o", "openai", 1000, 2.5, 10.0),
    ],
)
def test_ceiling_is_the_dearest_rate_a_request_of_that_size_can_meet(
    model: str, fmt: str, input_tokens: int, dearest_input: float, output: float
) -> None:
    ceiling = PriceTable.shipped().ceiling(model, input_tokens, 4096, fmt)
    assert ceiling == pytest.approx((input_tokens * dearest_input + 4096 * output) / MILLION, abs=1e-12)


def test_ceiling_of_an_unknown_model_is_zero() -> None:
    assert PriceTable.shipped().ceiling("llama3.2", 1000, 1000, "ollama") == 0.0


@pytest.mark.parametrize(
    ("model", "listed"),
    [
        ("gpt-4o", True),
        ("gpt-4o-2024-08-06", True),
        ("claude-sonnet-4", True),
        ("smart", False),
        ("fast", False),
    ],
)
def test_lists_the_names_of_real_models(model: str, listed: bool) -> None:
    assert PriceTable.shipped().lists(model) is listed


def test_lists_the_names_of_overrides() -> None:
    assert PriceTable.shipped({"my-model": PriceOverride(input=1.0, output=1.0)}).lists("my-model")


def test_a_price_is_resolved_once_per_model_and_format() -> None:
    table = PriceTable.shipped()
    first = table.price("gpt-4o", "openai")
    assert table.price("gpt-4o", "openai") is first  # the memoized object, not a second lookup


def test_cache_read_and_its_old_name_together_are_refused() -> None:
    with pytest.raises(ValueError, match="cache_read and cached_input"):
        PriceOverride(input=1.0, output=1.0, cache_read=0.1, cached_input=0.1)
