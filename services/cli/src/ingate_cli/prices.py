"""`ingate prices show MODEL [--provider NAME_OR_FORMAT] [--json]`: what Ingate charges for a model.

The price is the one the edge would record: the genai-prices catalog or the operator's
override, looked up for the API format of the provider that answers.
"""

import argparse
import json
import sys
from typing import Any, Final

from ingate_config import Settings
from ingate_pricing import ModelPrice, PriceTable, Rates
from ingate_providers import FORMATS

EXIT_UNKNOWN_MODEL: Final = 1
EXIT_BAD_ARGUMENTS: Final = 2

# Each kind's label and field, in the order a bill reads.
_KINDS: Final = (
    ("input", "input"),
    ("cache read", "cache_read"),
    ("cache write 5m", "cache_write"),
    ("cache write 1h", "cache_write_1h"),
    ("output", "output"),
    ("reasoning", "reasoning"),
)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    prices = commands.add_parser("prices", help="show what Ingate charges for a model")
    actions = prices.add_subparsers(dest="prices_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the USD per million tokens of each kind, and where it came from")
    show.add_argument(
        "model", metavar="MODEL", help="a model name as callers send it, e.g. gpt-4o-2024-08-06"
    )
    show.add_argument(
        "--provider",
        metavar="NAME_OR_FORMAT",
        default="",
        help="a configured provider, or an API format (openai | anthropic | ollama | gemini); default: any",
    )
    show.add_argument("--json", action="store_true", help="print the price as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    fmt = _format_of(args.provider, settings)
    if fmt is None:
        known = ", ".join(sorted({*settings.providers, *FORMATS}))
        print(f"ingate: no provider or API format {args.provider!r} (known: {known})", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    price = PriceTable.shipped(settings.prices).price(args.model, fmt)
    if price is None:
        where = f" for {args.provider}" if args.provider else ""
        print(
            f"ingate: no price for model {args.model!r}{where}: not in the catalog and no override "
            "(prices: / INGATE_PRICES_FILE); its requests are recorded with cost 0 and price_known false",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN_MODEL
    print(json.dumps(_document(args.model, args.provider, price)) if args.json else _table(args.model, price))
    return 0


def _format_of(provider: str, settings: Settings) -> str | None:
    """The API format `provider` names: a configured provider's, or the format itself."""
    if not provider:
        return ""
    configured = settings.providers.get(provider)
    if configured is not None:
        return configured.format
    return provider if provider in FORMATS else None


def _per_million(rates: Rates) -> dict[str, float]:
    return {field: getattr(rates, field) for _, field in _KINDS}


def _document(model: str, provider: str, price: ModelPrice) -> dict[str, Any]:
    return {
        "model": model,
        "provider": provider,
        "source": price.source,
        "usd_per_million_tokens": _per_million(price.rates),
        "tiers": [
            {"above_input_tokens": tier.above, "usd_per_million_tokens": _per_million(tier.rates)}
            for tier in price.tiers
        ],
    }


def _table(model: str, price: ModelPrice) -> str:
    columns = [price.rates, *(tier.rates for tier in price.tiers)]
    heads = ["USD / 1M tokens"]
    if price.tiers:  # a tier prices the whole request whose prompt passes its threshold
        bounds = [f"{tier.above:,}" for tier in price.tiers]
        heads += [f"prompt <= {bounds[0]}", *(f"prompt > {bound}" for bound in bounds)]
    first = max(len(heads[0]), *(len(label) for label, _ in _KINDS)) + 2
    rest = max(len(head) for head in heads) + 2
    lines = [
        f"{model}: {price.source}",
        (heads[0].ljust(first) + "".join(h.ljust(rest) for h in heads[1:])).rstrip(),
    ]
    for label, field in _KINDS:
        cells = "".join(f"{getattr(rates, field):g}".ljust(rest) for rates in columns)
        lines.append((label.ljust(first) + cells).rstrip())
    return "\n".join(lines)
