"""Which provider a request goes to (the path's default, or `X-Ingate-Provider`), and so its dialect."""

from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.paths import ApiPath
from ingate_edge.upstream import Upstream, Upstreams
from ingate_providers import ProviderFormat


def select_upstream(
    route: ApiPath, requested: bytes | None, upstreams: Upstreams, sdk: ProviderFormat | None = None
) -> Upstream:
    """`sdk`: the format whose SDK header the caller sent (`anthropic-version`, say); on a path
    several formats serve (/v1/models) that, not the path, says which provider is meant."""
    if requested:
        name = requested.decode("latin-1").strip().lower()
    elif sdk is not None and sdk.name in route.alternatives:
        name = sdk.name  # each format's built-in provider is named after it
    else:
        name = route.format.name
    upstream = upstreams.get(name)
    if upstream is None:
        raise GatewayError(
            errors.UNKNOWN_PROVIDER,
            f"Unknown provider {name[:64]!r} in X-Ingate-Provider. "
            f"Known providers: {', '.join(upstreams.names)}.",
        )
    return upstream


def caller_path(route: ApiPath, upstream: Upstream) -> ApiPath:
    """The route of this exchange: on a path several formats serve, the chosen provider's own."""
    return route.alternatives.get(upstream.format.name, route)
