"""A memoized price follows the catalog's prices that change with time: DeepSeek's peak and
off-peak hours, and a new price from its announced start date. The expected costs are the
catalog's own (`genai_prices.calc_price` at the same instant), so the test checks that a
price resolved once goes on matching the catalog, whatever its numbers."""

import math
from datetime import UTC, datetime

import genai_prices
import pytest

from ingate_pricing import PriceTable
from ingate_pricing.catalog import find_model
from ingate_pricing.changes import next_change
from ingate_providers import Usage

USAGE = Usage(input_tokens=200_000, output_tokens=50_000, cache_read_tokens=120_000)


class Clock:
    """Time the test sets, read by the table as it reads the real one."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at.timestamp()


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _catalog_cost(model: str, provider: str, at: datetime) -> float:
    usage = genai_prices.Usage(
        input_tokens=USAGE.input_tokens,
        cache_read_tokens=USAGE.cache_read_tokens,
        output_tokens=USAGE.output_tokens,
    )
    price = genai_prices.calc_price(usage, model, provider_id=provider, genai_request_timestamp=at)
    return float(price.total_price)


@pytest.mark.parametrize(
    ("model", "provider", "fmt", "first", "then"),
    [
        # DeepSeek's peak hours are 00:30-16:30 UTC: resolved at peak, billed off-peak, and back.
        ("deepseek-chat", "deepseek", "openai", _at(2026, 12, 2, 10, 0), _at(2026, 12, 2, 20, 0)),
        ("deepseek-chat", "deepseek", "openai", _at(2026, 12, 2, 20, 0), _at(2026, 12, 3, 1, 0)),
        # A price the catalog announces from 2027-01-01 applies from that day on.
        ("gemini-3.6-flash", "google", "openai", _at(2026, 12, 31, 23, 0), _at(2027, 1, 1, 1, 0)),
    ],
)
def test_a_memoized_price_changes_when_the_catalog_price_does(
    model: str, provider: str, fmt: str, first: datetime, then: datetime
) -> None:
    clock = Clock(first)
    table = PriceTable({}, clock=clock)
    before, _ = table.cost(model, USAGE, fmt)
    clock.set(then)
    after, known = table.cost(model, USAGE, fmt)
    assert known
    assert before == pytest.approx(_catalog_cost(model, provider, first), abs=1e-9)
    assert after == pytest.approx(_catalog_cost(model, provider, then), abs=1e-9)
    assert before != pytest.approx(after)  # the case really spans a change


def test_the_next_change_is_the_next_boundary_of_any_condition() -> None:
    found = find_model("deepseek-chat", "openai")
    assert found is not None
    info = found[1]
    assert next_change(info, _at(2026, 12, 2, 10, 0)) == _at(2026, 12, 2, 16, 30).timestamp()
    assert next_change(info, _at(2026, 12, 2, 16, 30)) == _at(2026, 12, 3, 0, 30).timestamp()
    assert next_change(info, _at(2026, 12, 2, 20, 0)) == _at(2026, 12, 3, 0, 30).timestamp()


def test_a_price_without_conditions_never_changes() -> None:
    found = find_model("gpt-4o", "openai")
    assert found is not None
    assert next_change(found[1], _at(2026, 12, 2, 10, 0)) == math.inf
    price = PriceTable({}).price("gpt-4o", "openai")
    assert price is not None and price.until == math.inf
