"""`ingate prices show MODEL [--provider NAME_OR_FORMAT] [--json]`: what Ingate charges for a model.

The price is the one the edge would record: the genai-prices catalog or the operator's
override, looked up for the API format of the provider that answers.
"""

import argparse
import json
import sys
from typing import Final

from ingate_config import Settings
from ingate_pricing import (
    PRICE_KINDS,
    ModelPrice,
    PriceTable,
    api_format_of,
    price_document,
    provider_choices,
)

EXIT_UNKNOWN_MODEL: Final = 1
EXIT_BAD_ARGUMENTS: Final = 2


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
    configured = {name: p.format for name, p in settings.providers.items()}
    fmt = api_format_of(args.provider, configured)
    if fmt is None:
        known = ", ".join(provider_choices(configured))
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
    document = price_document(args.model, args.provider, price)
    print(json.dumps(document) if args.json else _table(args.model, price))
    return 0


def _table(model: str, price: ModelPrice) -> str:
    columns = [price.rates, *(tier.rates for tier in price.tiers)]
    heads = ["USD / 1M tokens"]
    if price.tiers:  # a tier prices the whole request whose prompt passes its threshold
        bounds = [f"{tier.above:,}" for tier in price.tiers]
        heads += [f"prompt <= {bounds[0]}", *(f"prompt > {bound}" for bound in bounds)]
    first = max(len(heads[0]), *(len(label) for label, _ in PRICE_KINDS)) + 2
    rest = max(len(head) for head in heads) + 2
    lines = [
        f"{model}: {price.source}",
        (heads[0].ljust(first) + "".join(h.ljust(rest) for h in heads[1:])).rstrip(),
    ]
    for label, field in PRICE_KINDS:
        cells = "".join(f"{getattr(rates, field):g}".ljust(rest) for rates in columns)
        lines.append((label.ljust(first) + cells).rstrip())
    return "\n".join(lines)
