"""The formats Ingate speaks, and what each one is: the single description a format module fills in.

A format is the API a provider speaks and, on Ingate's own paths, the API a caller's SDK
speaks (the caller's dialect: a dialect is a format). Every format also has one built-in
provider, named after it, at its public address.
"""

import abc
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import msgspec

from ingate_providers.endpoint import Endpoint, Shape
from ingate_providers.errors import ErrorKind
from ingate_providers.usage import Reported, Usage

Format = Literal["openai", "anthropic", "ollama", "gemini"]
_encode = msgspec.json.Encoder().encode
Framing = Literal["sse", "ndjson"]


class ProviderFormat(abc.ABC):
    """One API format. A subclass sets every class attribute and implements the methods."""

    __slots__ = ()

    name: ClassVar[Format]
    # The built-in provider: its address, and the variable its key is read from when
    # INGATE_<NAME>_API_KEY is unset (None: it needs no key).
    default_base_url: ClassVar[str]
    fallback_key_env: ClassVar[str | None]
    # Further variables tried after it, in order (Gemini's GOOGLE_API_KEY after GEMINI_API_KEY).
    more_key_envs: ClassVar[tuple[str, ...]] = ()
    # The hosts known to serve the Responses API over WebSocket in this format (OpenAI's own):
    # a provider there has `responses_websocket` on unless its configuration says otherwise.
    responses_websocket_hosts: ClassVar[frozenset[str]] = frozenset()
    # What a base URL in this format's convention already includes ("/v1" for OpenAI):
    # endpoint paths are written relative to it, as the format's own SDK appends them.
    base_path: ClassVar[str]
    endpoints: ClassVar[tuple[Endpoint, ...]]
    serves: ClassVar[frozenset[Format]]  # the dialects its providers answer natively, its own included
    # The shape the translator makes a request of another shape into for this format's providers
    # (None: they are not sent translated requests).
    backend_shape: ClassVar[Shape | None]
    framing: ClassVar[Framing]  # how its streams are framed
    stream_content_type: ClassVar[bytes]
    # Contained in every stream event (SSE data) or line (NDJSON) that reports usage:
    # a cheap test before decoding.
    usage_marker: ClassVar[str]
    # A request header its SDK always sends: on a path several formats share, it says which is meant.
    sdk_header: ClassVar[bytes | None]
    # Prefixes of its API's paths: an unknown path under one is answered in this format.
    path_prefixes: ClassVar[tuple[str, ...]]
    # The member of its model list answer that holds the models ("data", "models").
    model_list_member: ClassVar[str]
    model_id_member: ClassVar[str]  # the member of a listed model that names it

    def native_path(self, dialect: "ProviderFormat", path: str) -> str:
        """`path` of `dialect`'s API (which this format serves), as this format's base URL takes it.

        Both are written relative to their own format's base URL, so the difference between
        the two base paths is the whole rule: Ollama serves OpenAI's /chat/completions at
        /v1/chat/completions, and Anthropic's /v1/models stays /v1/models.
        """
        if dialect is self:
            return path
        return (dialect.base_path + path).removeprefix(self.base_path)

    def read_usage(self, body: bytes | str, into: Usage) -> Reported:
        """Fold whatever usage `body` reports into `into`, and say which sides it reported as
        final; bodies without usage change nothing.

        A report may repeat (a stream's cumulative counts): each kind it carries replaces the
        one before, never adds to it.
        """
        try:
            return self._fold_usage(body, into)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return Reported.NOTHING  # not JSON, or not shaped as usage: nothing to count

    def generated_bytes(self, event: bytes | str) -> int:
        """The UTF-8 length of the generated text (answer, reasoning, tool arguments) one
        stream event or line carries: what an estimate of output tokens is counted from."""
        try:
            return len(self._generated_text(event).encode())
        except (msgspec.DecodeError, UnicodeDecodeError):
            return 0

    def with_models(self, body: bytes, names: Sequence[str]) -> bytes:
        """A model list answer with `names` (Ingate's routes) added, unless listed already."""
        try:
            listing = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return body
        models = listing.get(self.model_list_member) if isinstance(listing, dict) else None
        if not isinstance(models, list):
            return body
        member = self.model_id_member
        present = {model.get(member) for model in models if isinstance(model, dict)}
        entries = (self.model_entry(name) for name in names)
        models.extend(entry for entry in entries if entry[member] not in present)  # ids as listed
        return _encode(listing)

    def local_answer(self, endpoint: Endpoint, model: str) -> bytes | None:
        """The 200 body Ingate gives itself on `endpoint` when no provider of this format can
        answer it: the model named (`model`, "" if none) is a route, or the provider chosen
        speaks another format and the endpoint is not translated. None: there is none, and
        the request goes on (or is refused) as any other."""
        del endpoint, model
        return None

    @abc.abstractmethod
    def model_entry(self, name: str) -> dict[str, Any]:
        """One of Ingate's routes as an entry of this format's model list (and model lookup)."""

    @abc.abstractmethod
    def credential_headers(self, api_key: str) -> tuple[tuple[str, str], ...]:
        """The headers that carry a provider's key."""

    @abc.abstractmethod
    def error_body(self, kind: ErrorKind, message: str, request_id: str) -> bytes:
        """An error Ingate answers itself, in the envelope this format's SDK parses."""

    @abc.abstractmethod
    def _fold_usage(self, body: bytes | str, into: Usage) -> Reported:
        """Decode `body`'s usage into `into`; decoding errors are the caller's to ignore."""

    @abc.abstractmethod
    def _generated_text(self, event: bytes | str) -> str:
        """The generated text in one stream event or line; decoding errors are the caller's."""
