"""`ingate prices show MODEL`: what Ingate charges for a model, per million tokens of each kind.

The price is the one the edge uses: the genai-prices catalog with the configuration's
`prices:` (and INGATE_PRICES_FILE) on top, chosen by the API format of the provider that
answers, so `--provider` takes a configured provider's name or a format.
"""

import argparse
import json
import sys
from typing import Final, get_args

import msgspec

from ingate_config import Settings
from ingate_pricing import ModelPrice, PriceTable, Rates
from ingate_providers import Format

EXIT_UNKNOWN: Final = 1
EXIT_BAD_ARGUMENTS: Final = 2
UNIT: Final = "USD per million tokens"
# Each kind a request is billed for, as the rows of the table are labelled.
KINDS: Final = (
    ("input", "input"),
    ("cache_read", "cache read"),
    ("cache_write", "cache write 5m"),
    ("cache_write_1h", "cache write 1h"),
    ("output", "output"),
    ("reasoning", "reasoning"),
)
_FORMATS: Final[tuple[str, ...]] = get_args(Format)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    prices = commands.add_parser("prices", help="show what Ingate charges for a model")
    actions = prices.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="a model's price per million tokens of each kind, and where it came from",
        description=__doc__.split("\n\n")[1],
    )
    show.add_argument("model", metavar="MODEL", help="the model name, as a request gives it")
    show.add_argument(
        "--provider",
        metavar="NAME_OR_FORMAT",
        default="",
        help=f"a configured provider or a format ({', '.join(_FORMATS)}); default: the catalog's guess",
    )
    show.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    fmt = provider_format(args.provider, settings)
    if fmt is None:
        known = sorted({*settings.providers, *_FORMATS})
        print(f"ingate: unknown provider {args.provider!r} (known: {', '.join(known)})", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    price = PriceTable.shipped(settings.prices).price(args.model, fmt)
    if price is None:
        served = f" as {args.provider} serves it" if args.provider else ""
        print(
            f"ingate: no price for model {args.model!r}{served}: the genai-prices catalog does not"
            " list it and no override (prices: / INGATE_PRICES_FILE) names it; its requests cost 0"
            " with price_known false",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN
    print(json.dumps(as_json(args.model, fmt, price), indent=2) if args.json else render(args.model, fmt, price))
    return 0


def provider_format(provider: str, settings: Settings) -> str | None:
    """The API format `provider` answers in ("" when none is given); None for an unknown name."""
    if not provider:
        return ""
    configured = settings.providers.get(provider)
    if configured is not None:
        return configured.format
    return provider if provider in _FORMATS else None


def as_json(model: str, fmt: str, price: ModelPrice) -> dict[str, object]:
    return {
        "model": model,
        "format": fmt or None,
        "source": price.source,
        "unit": UNIT,
        "rates": msgspec.to_builtins(price.rates),
        "tiers": [{"above": tier.above, "rates": msgspec.to_builtins(tier.rates)} for tier in price.tiers],
    }


def render(model: str, fmt: str, price: ModelPrice) -> str:
    """A table: one row per token kind, one column per prompt-size tier."""
    served = f" ({fmt})" if fmt else ""
    bounds = [tier.above for tier in price.tiers]
    if bounds:
        headers = [f"prompt ≤ {bounds[0]:,}", *(f"prompt > {above:,}" for above in bounds)]
    else:
        headers = [UNIT]
    columns = [price.rates, *(tier.rates for tier in price.tiers)]
    rows = [[label, *(_usd(getattr(rates, kind)) for rates in columns)] for kind, label in KINDS]
    widths = [max(len(row[i]) for row in [["", *headers], *rows]) for i in range(len(headers) + 1)]
    lines = [f"{model}{served}: {price.source}"]
    if bounds:
        lines.append(f"{UNIT}; a request whose prompt crosses a tier pays that tier's rates for all of it")
    lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(["", *headers], widths, strict=True))).rstrip())
    for row in rows:
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)


def _usd(rate: float) -> str:
    return f"{rate:.4f}".rstrip("0").rstrip(".") if rate else "0"


__all__ = ["KINDS", "Rates", "add_parser", "run"]
