"""The shipped price table and cost arithmetic."""

import pytest

from ingate_pricing import ModelPrice, PriceTable
from ingate_providers import Usage


@pytest.mark.parametrize(
    ("model", "listed"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("o3-mini-2025-01-31", "o3-mini"),
    ],
)
def test_dated_snapshots_take_their_most_specific_listed_price(model: str, listed: str) -> None:
    table = PriceTable.shipped()
    assert table.price(model) == table.price(listed)
    assert table.price(model) is not None


@pytest.mark.parametrize("model", ["llama3.2", "gpt-4oX", "", "claude"])
def test_unknown_models_cost_nothing_and_say_so(model: str) -> None:
    assert PriceTable.shipped().cost(model, Usage(input_tokens=1000, output_tokens=1000)) == (0.0, False)


def test_cost_splits_cached_prompt_tokens() -> None:
    table = PriceTable({"m": ModelPrice(input=2.0, output=10.0, cached_input=0.5)})
    usd, known = table.cost(
        "m", Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=400_000)
    )
    assert known
    assert usd == pytest.approx(0.6 * 2.0 + 0.4 * 0.5 + 0.1 * 10.0)


def test_overrides_win_over_the_shipped_table() -> None:
    table = PriceTable.shipped({"gpt-4o": ModelPrice(input=1.0, output=1.0)})
    assert table.cost("gpt-4o-2024-08-06", Usage(input_tokens=1_000_000)) == (1.0, True)


@pytest.mark.parametrize(
    ("model", "listed"),
    [("gpt-4o", True), ("claude-sonnet-4", True), ("gpt-4o-2024-08-06", False), ("smart", False)],
)
def test_lists_names_only_exact_entries_not_prefix_matches(model: str, listed: bool) -> None:
    table = PriceTable.shipped()
    assert table.lists(model) is listed
    assert PriceTable.shipped({"my-model": ModelPrice(input=1.0, output=1.0)}).lists("my-model")
