"""Which provider a request goes to: the path's default, or `X-Ingate-Provider`."""

from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.routes import Dialect, Route
from ingate_edge.upstream import Upstream, Upstreams

# The provider a path implies when the caller names none.
_DEFAULT_PROVIDER: dict[Dialect, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "ollama": "ollama",
}


def select_upstream(route: Route, requested: bytes | None, upstreams: Upstreams) -> Upstream:
    name = requested.decode("latin-1").strip().lower() if requested else _DEFAULT_PROVIDER[route.dialect]
    upstream = upstreams.get(name)
    if upstream is None:
        raise GatewayError(
            errors.UNKNOWN_PROVIDER,
            f"Unknown provider {name[:64]!r} in X-Ingate-Provider. "
            f"Known providers: {', '.join(upstreams.names)}.",
        )
    return upstream


def caller_dialect(route: Route, upstream: Upstream) -> Dialect:
    """The dialect of this exchange; shared paths (/v1/models) follow the chosen provider."""
    if route.shared and upstream.format == "anthropic":
        return "anthropic"
    return route.dialect
