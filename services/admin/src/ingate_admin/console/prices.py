"""Prices page: what Ingate charges for a model, as `ingate prices show` says it."""

from typing import Any

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from ingate_admin.console.pages import page
from ingate_admin.console.sessions import SignedIn
from ingate_admin.runtime import AdminRuntime
from ingate_pricing import PRICE_KINDS, api_format_of, price_document, provider_choices


@get("/prices")
async def prices_page(
    runtime: AdminRuntime, signed: SignedIn, model: str = "", provider: str = ""
) -> Response[Any]:
    configured = {name: p.format for name, p in runtime.config.providers.items()}
    choices = provider_choices(configured)
    context: dict[str, Any] = {"model": model, "provider": provider, "choices": choices, "kinds": PRICE_KINDS}
    if not model:
        return page("prices.html", signed, price=None, error="", **context)
    fmt = api_format_of(provider, configured)
    if fmt is None:
        error = f"provider: no provider or API format {provider!r} (known: {', '.join(choices)})"
        return page("prices.html", signed, status=400, price=None, error=error, **context)
    price = runtime.prices.price(model, fmt)
    if price is None:
        error = (
            f"No price for model {model!r}: not in the catalog and no override (prices: / "
            "INGATE_PRICES_FILE); its requests are recorded with cost 0 and price_known false."
        )
        return page("prices.html", signed, status=404, price=None, error=error, **context)
    return page("prices.html", signed, price=price_document(model, provider, price), error="", **context)


handlers: list[HTTPRouteHandler] = [prices_page]
