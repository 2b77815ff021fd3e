"""Whether a request's bodies are captured, what it keeps of them, and the PayloadRecord made of
that at settle time (DESIGN.md, "Request log and audit").

Capture is decided once the key is known: `settings.payloads.enabled`, or the key's
`log_payloads`. A request not captured has no `Capture` at all, so the hot path pays one
attribute check where a body or stream would be kept. A captured request keeps references to
the bodies it sees (no copies); cutting and redaction happen once, when it settles, after the
caller has its answer.
"""

from collections.abc import Iterable

from ingate_config import PayloadsConfig, ProviderConfig
from ingate_contracts import RequestRecord
from ingate_contracts.payloads import PayloadRecord
from ingate_edge.capture.bodies import keep
from ingate_edge.capture.redact import Redactor
from ingate_edge.capture.streams import NdjsonCapture, SseCapture, StreamCapture
from ingate_providers import Shape
from ingate_translate import ir


class Capture:
    """One captured request's bodies, as the edge sees them."""

    __slots__ = ("_limit", "request_body", "response_body", "shape", "stream")

    def __init__(self, shape: Shape | None, limit: int) -> None:
        self.shape = shape  # the caller's endpoint shape: how a stream is written back
        self._limit = limit
        self.request_body = b""
        self.response_body = b""  # a whole answer (or error) as the caller got it
        self.stream: StreamCapture | None = None  # a streamed answer, assembled at the end

    def sse(self, backend: Shape | None) -> SseCapture:
        """Watch a stream of SSE events in `backend` shape (the caller's own when native)."""
        capture = SseCapture(backend, self.shape, self._limit)
        self.stream = capture
        return capture

    def ndjson(self) -> NdjsonCapture:
        capture = NdjsonCapture()
        self.stream = capture
        return capture


class Capturer:
    """The edge's capture settings, compiled once at start and again when its providers change."""

    __slots__ = ("_credentials", "_patterns", "all", "max_bytes", "redactor")

    def __init__(self, settings: PayloadsConfig, providers: Iterable[ProviderConfig]) -> None:
        self.all = settings.enabled
        self.max_bytes = settings.max_bytes
        self._patterns = settings.redact
        self._credentials = _credentials(providers)
        self.redactor = Redactor(self._credentials, self._patterns)

    def use_providers(self, providers: Iterable[ProviderConfig]) -> None:
        """Redact these providers' credentials too: one added through the run-time catalog must
        be as safe as one from the file, and one removed is still redacted (a request it
        answered may still be settling; a rotated key is still a secret)."""
        known = self._credentials | _credentials(providers)
        if known != self._credentials:
            self._credentials = known
            self.redactor = Redactor(known, self._patterns)

    def begin(self, shape: Shape | None, body: bytes) -> Capture:
        """A request to capture: `all`, or its key's `log_payloads` (the proxy checks, inline)."""
        capture = Capture(shape, self.max_bytes + self.redactor.margin)
        capture.request_body = body  # a reference: bytes do not change
        return capture

    def payload(self, capture: Capture, record: RequestRecord) -> PayloadRecord:
        """The request's bodies, cut and redacted: nothing of a credential leaves the edge."""
        response = capture.response_body
        if capture.stream is not None:
            context = ir.Context(model=record.model, created=int(record.ts))
            response = capture.stream.finish(context).encode()
        request = keep(capture.request_body, self.redactor, self.max_bytes)
        answer = keep(response, self.redactor, self.max_bytes)
        return PayloadRecord(
            request_id=record.request_id,
            ts=record.ts,
            request_body=request.text,
            response_body=answer.text,
            truncated=request.truncated or answer.truncated,
            redacted=request.redacted or answer.redacted,
        )


def _credentials(providers: Iterable[ProviderConfig]) -> frozenset[str]:
    return frozenset(provider.api_key for provider in providers if provider.api_key)
