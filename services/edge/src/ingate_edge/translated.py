"""What the edge does differently for a translated exchange (`X-Ingate-Translate: true`).

The translator service does the converting; this module decides when to ask it,
carries the request's context between calls, and frames provider streams into
events for it. The provider is sent its format's backend shape, whose own format
(OpenAI's for "openai-chat", even to an Ollama provider) is what the answer comes in.
"""

import os

from ingate_contracts import translation as wire
from ingate_edge import errors
from ingate_edge.capture import Capture, SseCapture
from ingate_edge.errors import GatewayError
from ingate_edge.paths import ApiPath
from ingate_edge.sse import SseFramer
from ingate_edge.taps import read_events_usage
from ingate_edge.translator_client import TranslatorClient
from ingate_edge.upstream import Upstream
from ingate_edge.usage_meter import UsageMeter
from ingate_providers import FORMATS, ProviderFormat, Shape
from ingate_translate import PAIRS


def _shape_formats() -> dict[Shape, ProviderFormat]:
    """The format whose API each shape belongs to (the first to have an endpoint of it): the
    shape's paths, answers and usage are written as that format writes them."""
    found: dict[Shape, ProviderFormat] = {}
    for fmt in FORMATS.values():
        for endpoint in fmt.endpoints:
            if endpoint.shape is not None:
                found.setdefault(endpoint.shape, fmt)
    return found


SHAPE_FORMATS: dict[Shape, ProviderFormat] = _shape_formats()


class Translation:
    """One translated exchange: which pair, and the context the translator handed back.

    `client` is the caller's format; `backend` the format of the shape the provider is
    sent (its paths, answers and usage), which need not be the provider's own format.
    """

    __slots__ = ("backend", "backend_shape", "client", "client_shape", "context", "traceparent", "translator")

    def __init__(
        self,
        translator: TranslatorClient,
        client: ProviderFormat,
        backend: ProviderFormat,
        shapes: tuple[Shape, Shape],
        traceparent: str,
    ) -> None:
        self.translator = translator
        self.client = client
        self.backend = backend
        self.client_shape, self.backend_shape = shapes
        self.traceparent = traceparent
        self.context = b""

    async def request(self, body: bytes, model: str = "", stream: bool | None = None) -> wire.RequestReply:
        """`model` and `stream`: what the caller's path says, when it does (Gemini's)."""
        call = wire.RequestCall(
            client=self.client_shape, backend=self.backend_shape, body=body, model=model, stream=stream
        )
        reply = await self.translator.request(call, self.traceparent)
        self.context = reply.context
        return reply

    async def response(self, status: int, body: bytes) -> tuple[int, bytes]:
        call = wire.ResponseCall(
            client=self.client_shape,
            backend=self.backend_shape,
            context=self.context,
            status=status,
            body=body,
        )
        if status >= 400:
            reply = await self.translator.error(call, self.traceparent)
        else:
            reply = await self.translator.response(call, self.traceparent)
        return reply.status, reply.body

    def stream(self, meter: UsageMeter, capture: Capture | None = None) -> "TranslatingStream":
        """`capture`: the request's, when its bodies are captured: it reads the provider's events."""
        meter.streamed = True
        return TranslatingStream(self, meter, None if capture is None else capture.sse(self.backend_shape))


class TranslatingStream:
    """A StreamTransform: provider SSE bytes in, the caller's stream bytes (SSE or NDJSON) out."""

    def __init__(
        self, translation: Translation, meter: UsageMeter, capture: SseCapture | None = None
    ) -> None:
        self._translation = translation
        self._meter = meter
        self._framer = SseFramer()
        self._state = b""
        self._capture = capture

    async def feed(self, chunk: bytes) -> bytes:
        events = self._framer.feed(chunk)
        return await self._call(events, final=False) if events else b""

    async def finish(self) -> bytes:
        return await self._call(self._framer.flush(), final=True)

    async def _call(self, events: list[tuple[str, str]], final: bool) -> bytes:
        t = self._translation
        read_events_usage(t.backend, events, self._meter)  # in the backend shape's format
        if self._capture is not None:
            self._capture.feed(events)
        call = wire.StreamCall(
            client=t.client_shape,
            backend=t.backend_shape,
            context=t.context,
            state=self._state,
            events=events,
            final=final,
        )
        reply = await t.translator.stream(call, t.traceparent)
        self._state = reply.state
        return reply.body


def plan_translation(
    route: ApiPath,
    upstream: Upstream,
    translate_requested: bool,
    translator: TranslatorClient,
    traceparent: str | bytes | None,
) -> Translation:
    """A Translation for a caller whose format the provider does not speak, or a clear 400."""
    backend = upstream.format
    if not translate_requested:
        raise GatewayError(
            errors.INVALID_REQUEST,
            f"Provider {upstream.name!r} speaks the {backend.name} API but this is an "
            f"{route.format.name} path. Send 'X-Ingate-Translate: true' to have Ingate translate.",
        )
    client_shape, backend_shape = route.endpoint.shape, backend.backend_shape
    if client_shape is None or backend_shape is None or (client_shape, backend_shape) not in PAIRS:
        raise GatewayError(
            errors.INVALID_REQUEST,
            f"{route.endpoint.name!r} cannot be translated for the "
            f"{backend.name} provider {upstream.name!r}.",
        )
    sent = SHAPE_FORMATS[backend_shape]
    return Translation(
        translator, route.format, sent, (client_shape, backend_shape), _traceparent(traceparent)
    )


def _traceparent(incoming: str | bytes | None) -> str:
    """The edge span's context (a str) when tracing; else the caller's W3C traceparent (bytes),
    or a new trace so the translator's work can be correlated."""
    if isinstance(incoming, str):
        return incoming
    if incoming is not None and len(incoming) == 55:
        return incoming.decode("latin-1")
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"
