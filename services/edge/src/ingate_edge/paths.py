"""The public path table, built from every format's endpoints: which paths exist and whose they are.

A path's format is the dialect the caller speaks on it; it decides the default
provider and the shape of every error the caller gets back. Callers point their SDK at
Ingate as at the provider, so a path is the endpoint's path under the format's base path
(/v1 for OpenAI); OpenAI's are also served without it, for SDKs configured without /v1.
"""

from typing import Final

from ingate_providers import FALLBACK_FORMAT, FORMATS, Endpoint, ProviderFormat


class ApiPath:
    __slots__ = ("alternatives", "endpoint", "format")

    def __init__(self, fmt: ProviderFormat, endpoint: Endpoint) -> None:
        self.format = fmt
        self.endpoint = endpoint
        # Other formats serving the same path natively (OpenAI's and Anthropic's /v1/models),
        # by name: there the chosen provider decides the dialect.
        self.alternatives: dict[str, ApiPath] = {}


def _path_table() -> tuple[dict[str, ApiPath], dict[str, ApiPath]]:
    """Exact paths, and prefixes followed by an id; a path two formats serve is the first's."""
    exact: dict[str, ApiPath] = {}
    prefixed: dict[str, ApiPath] = {}
    for fmt in FORMATS.values():
        for endpoint in fmt.endpoints:
            table = prefixed if endpoint.takes_id else exact
            route = ApiPath(fmt, endpoint)
            public = fmt.base_path + endpoint.path
            first = table.get(public)
            if first is not None:
                first.alternatives[fmt.name] = route
                continue
            table[public] = route
            table.setdefault(endpoint.path, route)
    return exact, prefixed


PATHS, _PREFIXED_PATHS = _path_table()
_PREFIXED: Final = tuple(_PREFIXED_PATHS.items())
KNOWN_PATHS: Final = tuple(sorted(PATHS))
_GUESSES: Final = tuple((fmt.path_prefixes, fmt) for fmt in FORMATS.values() if fmt.path_prefixes)


def find_path(path: str) -> tuple[ApiPath, str] | None:
    """The route for `path`, and the id following its prefix ("" for an exact path)."""
    route = PATHS.get(path)
    if route is not None:
        return route, ""
    for prefix, prefixed in _PREFIXED:
        if path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix) :]:
            return prefixed, path[len(prefix) :]
    return None


def guess_dialect(path: str) -> ProviderFormat:
    """The dialect to answer in when the path is unknown: the SDK that most likely sent it."""
    for prefixes, fmt in _GUESSES:
        if path.startswith(prefixes):
            return fmt
    return FALLBACK_FORMAT
