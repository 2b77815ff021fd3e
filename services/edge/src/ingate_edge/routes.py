"""The public path table: which paths exist, their dialect, methods, and upstream suffix.

A route's dialect is the API format the caller speaks on that path; it decides the
default provider and the shape of every error the caller gets back.
"""

from typing import Final, Literal

Dialect = Literal["openai", "anthropic", "ollama"]


class Route:
    __slots__ = ("dialect", "endpoint", "methods", "shared", "suffix")

    def __init__(
        self,
        dialect: Dialect,
        endpoint: str,
        methods: frozenset[str],
        suffix: str,
        shared: bool = False,
    ) -> None:
        self.dialect: Dialect = dialect
        self.endpoint = endpoint  # stable name recorded on events, e.g. "chat.completions"
        self.methods = methods
        self.suffix = suffix  # the path as the provider's base URL expects it appended
        # OpenAI and Anthropic both serve /v1/models: the provider decides the dialect.
        self.shared = shared


_POST = frozenset({"POST"})
_GET = frozenset({"GET"})


def _openai(
    path: str, endpoint: str, methods: frozenset[str], shared: bool = False
) -> list[tuple[str, Route]]:
    route = Route("openai", endpoint, methods, path, shared)
    return [(path, route), ("/v1" + path, route)]


ROUTES: Final[dict[str, Route]] = dict(
    [
        *_openai("/chat/completions", "chat.completions", _POST),
        *_openai("/embeddings", "embeddings", _POST),
        *_openai("/models", "models", _GET, shared=True),
        *_openai("/responses", "responses", _POST),
        ("/v1/messages", Route("anthropic", "messages", _POST, "/v1/messages")),
        (
            "/v1/messages/count_tokens",
            Route("anthropic", "messages.count_tokens", _POST, "/v1/messages/count_tokens"),
        ),
        ("/api/generate", Route("ollama", "generate", _POST, "/api/generate")),
        ("/api/chat", Route("ollama", "chat", _POST, "/api/chat")),
        ("/api/embed", Route("ollama", "embed", _POST, "/api/embed")),
        ("/api/tags", Route("ollama", "tags", _GET, "/api/tags")),
    ]
)

# Paths with an id after a known prefix, e.g. GET /v1/models/gpt-4o.
_PREFIXED: Final = (
    ("/v1/models/", Route("openai", "models.retrieve", _GET, "/models/", shared=True)),
    ("/models/", Route("openai", "models.retrieve", _GET, "/models/", shared=True)),
)

KNOWN_PATHS: Final = tuple(sorted(ROUTES))


def find_route(path: str) -> tuple[Route, str] | None:
    """The route for `path` and the suffix to append to the provider's base URL."""
    route = ROUTES.get(path)
    if route is not None:
        return route, route.suffix
    for prefix, prefixed in _PREFIXED:
        if path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix) :]:
            return prefixed, prefixed.suffix + path[len(prefix) :]
    return None


def guess_dialect(path: str) -> Dialect:
    """The dialect to answer in when the path is unknown: the SDK that most likely sent it."""
    if path.startswith("/v1/messages") or path.startswith("/v1/complete"):
        return "anthropic"
    if path.startswith("/api/"):
        return "ollama"
    return "openai"
