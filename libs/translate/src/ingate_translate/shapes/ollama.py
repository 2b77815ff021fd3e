"""Ollama's native /api/chat ("ollama-chat") and /api/generate ("ollama-generate"), as callers speak them.

Ollama is only ever the caller's shape: Ollama providers are sent OpenAI's chat, which
Ollama serves under /v1, so no backend codec is needed. What each field becomes is in
the tables of `ollama_request.py` (requests) and `ollama_answer.py` (answers); streams,
NDJSON lines, in `ollama_stream.py`.
"""

from typing import Final

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.shapes import ollama_answer, ollama_request, ollama_stream
from ingate_translate.shapes.ollama_answer import Kind


class _OllamaCodec:
    """What both Ollama endpoints share: the answer's line shape differs only by `kind`."""

    __slots__ = ()

    shape: Shape
    kind: Kind

    def write_response(self, response: ir.Response, context: ir.Context) -> bytes:
        return ollama_answer.write_response(self.kind, response, context)

    def write_error(self, error: ir.Error) -> tuple[int, bytes]:
        return ollama_answer.write_error(error)

    def write_stream(
        self, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
    ) -> tuple[bytes, bytes]:
        return ollama_stream.write_stream(self.kind, state, context, events, final)


class OllamaChat(_OllamaCodec):
    __slots__ = ()

    shape: Shape = "ollama-chat"
    kind: Kind = "chat"

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:  # noqa: ARG002
        # The body names the model and whether to stream; the path says nothing more.
        return ollama_request.read_chat(body)


class OllamaGenerate(_OllamaCodec):
    __slots__ = ()

    shape: Shape = "ollama-generate"
    kind: Kind = "generate"

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:  # noqa: ARG002
        return ollama_request.read_generate(body)


OLLAMA_CHAT: Final = OllamaChat()
OLLAMA_GENERATE: Final = OllamaGenerate()

__all__ = ["OLLAMA_CHAT", "OLLAMA_GENERATE", "OllamaChat", "OllamaGenerate"]
