"""One attempt at an upstream: the provider, and exactly what is sent to it.

A native target passes the caller's body on (asking for a stream's usage where the
provider reports it only when asked); a translated one sends what the translator made
of it. Either way the provider's credential is added to the headers here.
"""

from ingate_edge.metering import ask_for_stream_usage
from ingate_edge.paths import ApiPath
from ingate_edge.translated import Translation
from ingate_edge.upstream import Upstream


class Target:
    __slots__ = ("body", "headers", "method", "strip_usage_chunk", "translation", "upstream", "url")

    def __init__(
        self,
        upstream: Upstream,
        url: str,
        method: str,
        headers: list[tuple[str, str]],
        body: bytes,
        translation: Translation | None = None,
        strip_usage_chunk: bool = False,
    ) -> None:
        self.upstream = upstream
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.translation = translation  # None: the provider speaks the caller's dialect
        self.strip_usage_chunk = strip_usage_chunk  # the edge asked for a usage chunk the caller did not


def native_target(
    route: ApiPath,
    id_tail: str,
    upstream: Upstream,
    method: str,
    query: bytes,
    headers: list[tuple[str, str]],
    body: bytes,
    stream: bool,
) -> Target:
    """`route` (the caller's, which `upstream` serves natively), sent as it came."""
    strip = False
    if stream and route.endpoint.usage_needs_asking:
        body, strip = ask_for_stream_usage(body)
    path = upstream.format.native_path(route.format, route.endpoint.path + id_tail)
    headers.extend(upstream.auth_headers)
    return Target(upstream, upstream.url(path, query), method, headers, body, None, strip)


async def translated_target(
    translation: Translation,
    upstream: Upstream,
    method: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    model: str = "",
    stream: bool | None = None,
) -> Target:
    """The caller's body as the translator makes it into the provider's format.

    `model` and `stream` are what the caller's path says (Gemini's does). The caller's query
    string is never sent: it belongs to the caller's API, and the translator gives the one the
    provider's needs. The translator's path is written as the backend shape's format writes
    its paths, and mapped onto the provider's (Ollama serves OpenAI's API under /v1).
    """
    translated = await translation.request(body, model, stream)
    headers.extend(translated.headers.items())
    headers.extend(upstream.auth_headers)
    path = upstream.format.native_path(translation.backend, translated.path)
    url = upstream.url(path, translated.query.encode("latin-1"))
    return Target(upstream, url, method, headers, translated.body, translation)
