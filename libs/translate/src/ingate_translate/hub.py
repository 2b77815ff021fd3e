"""A translation pair: the caller's codec and the provider's, meeting in the IR.

Requests go client → IR → backend; answers, errors and stream events go backend → IR →
client. The pair's context (what the answer side needs from the request) and its stream
state travel as bytes, so every call is pure and any translator replica can take any of them.
"""

import time

import msgspec

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import SseEvent, TranslatedRequest, TranslationError
from ingate_translate.codec import BackendCodec, ClientCodec

_encode = msgspec.msgpack.Encoder().encode
_decode_context = msgspec.msgpack.Decoder(ir.Context).decode


class _StreamState(msgspec.Struct, array_like=True):
    reader: bytes = b""
    writer: bytes = b""


_decode_state = msgspec.msgpack.Decoder(_StreamState).decode


class CodecPair:
    __slots__ = ("_backend", "_client", "backend", "client")

    client: Shape
    backend: Shape

    def __init__(self, client: ClientCodec, backend: BackendCodec) -> None:
        self._client = client
        self._backend = backend
        self.client = client.shape
        self.backend = backend.shape

    def request(self, body: bytes, hints: ir.Hints, created: int | None = None) -> TranslatedRequest:
        """The caller's request as the provider's. Raises TranslationError when inexpressible."""
        request = self._client.read_request(body, hints)
        ir.name_tool_results(request.messages)
        translated = self._backend.write_request(request)
        context = ir.Context(
            model=request.model,
            created=int(time.time()) if created is None else created,
            stream=request.stream,
            include_usage=request.include_usage,
        )
        translated.context = _encode(context)
        translated.stream = request.stream
        translated.model = translated.model or request.model
        return translated

    def response(self, context: bytes, body: bytes) -> bytes:
        """The provider's 2xx body as the caller's. Raises BackendFormatError when unreadable."""
        ctx = _decode_context(context)
        answer = self._backend.read_response(body)
        return self._client.write_response(answer, ctx)

    def error(self, context: bytes, status: int, body: bytes) -> tuple[int, bytes]:
        """The provider's error as the caller's (status, body)."""
        del context  # an envelope needs nothing from the request
        return self._client.write_error(self._backend.read_error(status, body))

    def reject(self, error: TranslationError) -> tuple[int, bytes]:
        """A request the provider cannot be sent: a 400 in the caller's dialect, naming the parameter."""
        return self._client.write_error(
            ir.Error(status=400, kind="invalid_request", message=error.message, param=error.param)
        )

    def stream(
        self, state: bytes, context: bytes, events: list[SseEvent], final: bool
    ) -> tuple[bytes, bytes]:
        """Provider stream events → (new state, the caller's stream bytes)."""
        current = _decode_state(state) if state else _StreamState()
        current.reader, translated = self._backend.read_stream(current.reader, events, final)
        current.writer, out = self._client.write_stream(
            current.writer, _decode_context(context), translated, final
        )
        return _encode(current), out


__all__ = ["CodecPair"]
