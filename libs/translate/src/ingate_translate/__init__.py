"""Pure translation between API shapes: requests, answers, stream events and errors.

`get_pair(client, backend)` returns the `CodecPair` that lets a caller speaking one shape
use a provider speaking another: the caller's codec and the provider's, meeting in the
internal representation (`ir`). Pairs keep no state: stream state is an opaque value the
caller hands back with each batch of events.
"""

from ingate_translate.assemble import Assembly, StreamAssembly
from ingate_translate.base import (
    BackendFormatError,
    SseEvent,
    TranslatedRequest,
    TranslationError,
    encode_sse,
)
from ingate_translate.hub import CodecPair
from ingate_translate.registry import BACKEND_CODECS, CLIENT_CODECS, PAIRS, get_pair
from ingate_translate.shapes.anthropic_messages_request import DEFAULT_MAX_TOKENS

__all__ = [
    "BACKEND_CODECS",
    "CLIENT_CODECS",
    "DEFAULT_MAX_TOKENS",
    "PAIRS",
    "Assembly",
    "BackendFormatError",
    "CodecPair",
    "SseEvent",
    "StreamAssembly",
    "TranslatedRequest",
    "TranslationError",
    "encode_sse",
    "get_pair",
]
