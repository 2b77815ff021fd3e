"""Every shape's codecs, and every translation pair made of them.

A pair is any client shape with any other backend shape (`hub.CodecPair`). Adding a shape
means adding its module under `shapes/` and its codec to CLIENT_CODECS and/or BACKEND_CODECS.
"""

from ingate_providers import Shape
from ingate_translate.codec import BackendCodec, ClientCodec
from ingate_translate.hub import CodecPair
from ingate_translate.shapes import anthropic_messages, openai_chat
from ingate_translate.shapes.gemini import GeminiCodec
from ingate_translate.shapes.ollama import OllamaChat, OllamaGenerate
from ingate_translate.shapes.openai_responses import OpenAIResponses

CLIENT_CODECS: dict[Shape, ClientCodec] = {
    "openai-chat": openai_chat.CLIENT,
    "anthropic-messages": anthropic_messages.CLIENT,
    "ollama-chat": OllamaChat(),
    "ollama-generate": OllamaGenerate(),
    "gemini-generate": GeminiCodec(),
    "openai-responses": OpenAIResponses(),
}
BACKEND_CODECS: dict[Shape, BackendCodec] = {
    "openai-chat": openai_chat.BACKEND,
    "anthropic-messages": anthropic_messages.BACKEND,
    "gemini-generate": GeminiCodec(),
    "openai-responses": OpenAIResponses(),
}

PAIRS: dict[tuple[Shape, Shape], CodecPair] = {
    (client, backend): CodecPair(client_codec, backend_codec)
    for client, client_codec in CLIENT_CODECS.items()
    for backend, backend_codec in BACKEND_CODECS.items()
    if client != backend
}


def get_pair(client: Shape, backend: Shape) -> CodecPair | None:
    """The pair translating `client` requests for a `backend` provider, if there is one."""
    return PAIRS.get((client, backend))
