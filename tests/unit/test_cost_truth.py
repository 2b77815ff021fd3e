"""Ingate's cost of real usage reports equals what the providers' published prices say.

Each expected value is written from the provider's price page (USD per million tokens, as
literals here), never from the catalog, so a catalog that drifts from the published price fails.
Usage numbers are what the usage readers make of real responses: `input_tokens` includes the
cache reads and writes, `output_tokens` the reasoning.
"""

import pytest

from ingate_pricing import PriceTable
from ingate_providers import Usage

TABLE = PriceTable.shipped()
MILLION = 1_000_000

# (case, model, format, usage, expected USD)
CASES = [
    (
        # Anthropic: input_tokens 1200, cache_creation_input_tokens 3000
        # (ephemeral_5m 1000, ephemeral_1h 2000), cache_read_input_tokens 5000, output_tokens 800.
        # Published: $3 input, $3.75 5m write, $6 1h write, $0.30 cache read, $15 output.
        "claude-sonnet-4 cache writes and reads",
        "claude-sonnet-4-20250514",
        "anthropic",
        Usage(9200, 800, cache_read_tokens=5000, cache_write_tokens=3000, cache_write_1h_tokens=2000),
        (1200 * 3.0 + 1000 * 3.75 + 2000 * 6.0 + 5000 * 0.30 + 800 * 15.0) / MILLION,
    ),
    (
        # Sonnet 4.5 below 200K prompt tokens: the same prices as Sonnet 4.
        "claude-sonnet-4-5 short prompt",
        "claude-sonnet-4-5-20250929",
        "anthropic",
        Usage(52_000, 1500, cache_read_tokens=40_000, cache_write_tokens=10_000, cache_write_1h_tokens=0),
        (2000 * 3.0 + 10_000 * 3.75 + 40_000 * 0.30 + 1500 * 15.0) / MILLION,
    ),
    (
        # Sonnet 4.5 over 200K prompt tokens (cached ones count): $6 input, $7.50 5m write,
        # $12 1h write, $0.60 cache read, $22.50 output, for the whole request.
        "claude-sonnet-4-5 long prompt",
        "claude-sonnet-4-5-20250929",
        "anthropic",
        Usage(
            250_000, 2000, cache_read_tokens=150_000, cache_write_tokens=60_000, cache_write_1h_tokens=20_000
        ),
        (40_000 * 6.0 + 40_000 * 7.50 + 20_000 * 12.0 + 150_000 * 0.60 + 2000 * 22.50) / MILLION,
    ),
    (
        # Published: $15 input, $18.75 5m write, $30 1h write, $1.50 cache read, $75 output.
        "claude-opus-4-1 thinking",
        "claude-opus-4-1-20250805",
        "anthropic",
        Usage(3000, 4000, cache_read_tokens=1000, cache_write_tokens=500, cache_write_1h_tokens=500),
        (1500 * 15.0 + 500 * 30.0 + 1000 * 1.50 + 4000 * 75.0) / MILLION,
    ),
    (
        # Published: $0.80 input, $1 5m write, $1.60 1h write, $0.08 cache read, $4 output.
        "claude-3-5-haiku",
        "claude-3-5-haiku-20241022",
        "anthropic",
        Usage(10_000, 500, cache_read_tokens=6000, cache_write_tokens=2000),
        (2000 * 0.80 + 2000 * 1.0 + 6000 * 0.08 + 500 * 4.0) / MILLION,
    ),
    (
        # OpenAI: prompt_tokens 2006 with prompt_tokens_details.cached_tokens 1920, completion 300.
        # Published: $2.50 input, $1.25 cached input, $10 output.
        "gpt-4o cached prompt",
        "gpt-4o-2024-08-06",
        "openai",
        Usage(2006, 300, cache_read_tokens=1920),
        (86 * 2.50 + 1920 * 1.25 + 300 * 10.0) / MILLION,
    ),
    (
        # Published: $2 input, $0.50 cached input, $8 output.
        "gpt-4.1 cached prompt",
        "gpt-4.1-2025-04-14",
        "openai",
        Usage(12_000, 700, cache_read_tokens=8192),
        (3808 * 2.0 + 8192 * 0.50 + 700 * 8.0) / MILLION,
    ),
    (
        # completion_tokens 2300 with completion_tokens_details.reasoning_tokens 1800.
        # Published: $1.10 input, $0.55 cached input, $4.40 output (reasoning included).
        "o3-mini reasoning",
        "o3-mini-2025-01-31",
        "openai",
        Usage(1500, 2300, reasoning_tokens=1800),
        (1500 * 1.10 + 2300 * 4.40) / MILLION,
    ),
    (
        # Published: $2 input, $0.50 cached input, $8 output.
        "o3 reasoning and cache",
        "o3-2025-04-16",
        "openai",
        Usage(5000, 3000, cache_read_tokens=4096, reasoning_tokens=2500),
        (904 * 2.0 + 4096 * 0.50 + 3000 * 8.0) / MILLION,
    ),
    (
        # Published: $1.25 input, $0.125 cached input, $10 output.
        "gpt-5 reasoning and cache",
        "gpt-5-2025-08-07",
        "openai",
        Usage(4000, 1200, cache_read_tokens=3072, reasoning_tokens=1000),
        (928 * 1.25 + 3072 * 0.125 + 1200 * 10.0) / MILLION,
    ),
    (
        # Published: $0.25 input, $0.025 cached input, $2 output.
        "gpt-5-mini reasoning",
        "gpt-5-mini",
        "openai",
        Usage(800, 600, reasoning_tokens=512),
        (800 * 0.25 + 600 * 2.0) / MILLION,
    ),
]


@pytest.mark.parametrize(
    ("model", "fmt", "usage", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_cost_equals_the_published_price(model: str, fmt: str, usage: Usage, expected: float) -> None:
    usd, known = TABLE.cost(model, usage, fmt)
    assert known
    assert usd == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("model", ["llama3.2", "qwen2.5:7b", "gpt-oss:20b"])
def test_local_ollama_models_have_no_price_until_the_operator_sets_one(model: str) -> None:
    # The catalog prices hosted APIs; a local model's cost is the operator's hardware, so it
    # is recorded as 0 and flagged unknown rather than called free.
    prompt_eval_count, eval_count = 26, 298
    usage = Usage(prompt_eval_count, eval_count)
    assert TABLE.cost(model, usage, "ollama") == (0.0, False)
