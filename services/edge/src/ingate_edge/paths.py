"""The public path table, built from every format's endpoints: which paths exist and whose they are.

A path's format is the dialect the caller speaks on it; it decides the default
provider and the shape of every error the caller gets back. Callers point their SDK at
Ingate as at the provider, so a path is the endpoint's path under the format's base path
(/v1 for OpenAI); OpenAI's are also served without it, for SDKs configured without /v1.

Three kinds of path: exact ones (/v1/chat/completions), a prefix followed by an id
(/v1/models/{model}), and a prefix followed by a model and a custom method
(/v1beta/models/{model}:generateContent), where the path, not the body, names the model.
"""

from typing import Final

from ingate_providers import FALLBACK_FORMAT, FORMATS, Endpoint, ProviderFormat


class ApiPath:
    __slots__ = ("alternatives", "endpoint", "format", "method_suffix")

    def __init__(self, fmt: ProviderFormat, endpoint: Endpoint) -> None:
        self.format = fmt
        self.endpoint = endpoint
        # ":generateContent" when the path names the model before a custom method, else "".
        self.method_suffix = f":{endpoint.custom_method}" if endpoint.custom_method else ""
        # Other formats serving the same path natively (OpenAI's and Anthropic's /v1/models),
        # by name: there the chosen provider decides the dialect.
        self.alternatives: dict[str, ApiPath] = {}

    def path_model(self, id_tail: str) -> str | None:
        """The model the path names (`id_tail` is what follows the prefix), or None when the
        request's body names it."""
        if not self.method_suffix:
            return None
        return id_tail.removesuffix(self.method_suffix)

    def tail_for(self, model: str) -> str:
        """What follows the prefix in a path naming `model` (a route's target, say)."""
        return model + self.method_suffix


_Table = dict[str, ApiPath]


def _path_table() -> tuple[_Table, _Table, dict[str, _Table]]:
    """Exact paths, prefixes followed by an id, and prefixes followed by a model and a custom
    method (by prefix, then method); a path two formats serve is the first's."""
    exact: _Table = {}
    prefixed: _Table = {}
    methods: dict[str, _Table] = {}
    for fmt in FORMATS.values():
        for endpoint in fmt.endpoints:
            if endpoint.custom_method:
                table = methods.setdefault(fmt.base_path + endpoint.path, {})
                key = endpoint.custom_method
            else:
                table = prefixed if endpoint.takes_id else exact
                key = fmt.base_path + endpoint.path
            route = ApiPath(fmt, endpoint)
            first = table.get(key)
            if first is not None:
                first.alternatives[fmt.name] = route
                continue
            table[key] = route
            if not endpoint.custom_method:
                table.setdefault(endpoint.path, route)
    return exact, prefixed, methods


PATHS, _PREFIXED_PATHS, _METHOD_PATHS = _path_table()
_PREFIXED: Final = tuple(_PREFIXED_PATHS.items())
_METHODS: Final = tuple(_METHOD_PATHS.items())
KNOWN_PATHS: Final = tuple(sorted(PATHS))
# The paths with a part the caller fills in, as the unknown-path error lists them.
PATH_PATTERNS: Final = (
    *(f"{prefix}{{model}}" for prefix in sorted(_PREFIXED_PATHS)),
    *(f"{prefix}{{model}}:{method}" for prefix, table in _METHODS for method in table),
)
_GUESSES: Final = tuple((fmt.path_prefixes, fmt) for fmt in FORMATS.values() if fmt.path_prefixes)


def find_path(path: str) -> tuple[ApiPath, str] | None:
    """The route for `path`, and what follows its prefix ("" for an exact path): an id, or a
    model with its custom method (`ApiPath.path_model` tells the model)."""
    route = PATHS.get(path)
    if route is not None:
        return route, ""
    head, colon, method = path.rpartition(":")
    if colon:
        # Only a method the API has: ids may hold colons too (Ollama's "llama3.2:latest").
        for prefix, table in _METHODS:
            if _one_segment_after(head, prefix) and method in table:
                return table[method], path[len(prefix) :]
    for prefix, prefixed in _PREFIXED:
        if _one_segment_after(path, prefix):
            return prefixed, path[len(prefix) :]
    return None


def _one_segment_after(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix) :]


def guess_dialect(path: str) -> ProviderFormat:
    """The dialect to answer in when the path is unknown: the SDK that most likely sent it."""
    for prefixes, fmt in _GUESSES:
        if path.startswith(prefixes):
            return fmt
    return FALLBACK_FORMAT
