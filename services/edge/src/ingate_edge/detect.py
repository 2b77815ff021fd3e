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


def select_upstream(
    route: Route, requested: bytes | None, upstreams: Upstreams, anthropic_sdk: bool = False
) -> Upstream:
    """`anthropic_sdk`: the caller sent `anthropic-version`, as the Anthropic SDK always does; on
    a path both APIs serve (/v1/models) that, not the path, says which provider is meant."""
    if requested:
        name = requested.decode("latin-1").strip().lower()
    elif route.shared and anthropic_sdk:
        name = _DEFAULT_PROVIDER["anthropic"]
    else:
        name = _DEFAULT_PROVIDER[route.dialect]
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


def native_suffix(route: Route, dialect: Dialect, suffix: str) -> str:
    """The path to append to the provider's base URL. OpenAI's base URL ends in /v1 and the
    route table follows it; Anthropic's does not, so a shared path gains its /v1 back."""
    if route.shared and dialect == "anthropic":
        return "/v1" + suffix
    return suffix
