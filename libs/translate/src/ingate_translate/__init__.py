"""Pure OpenAI ⇄ Anthropic translation: requests, responses, stream events and errors.

`get_pair(client, backend)` returns the `Pair` that lets a client SDK speaking one
format use a provider speaking the other. Pairs keep no state: stream state is an
opaque value the caller hands back with each batch of events.
"""

from ingate_translate.anthropic_openai import AnthropicToOpenAI
from ingate_translate.base import (
    BackendFormatError,
    Pair,
    SseEvent,
    TranslatedRequest,
    TranslationError,
    encode_sse,
)
from ingate_translate.openai_anthropic import DEFAULT_MAX_TOKENS, OpenAIToAnthropic
from ingate_translate.registry import PAIRS, get_pair

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "PAIRS",
    "AnthropicToOpenAI",
    "BackendFormatError",
    "OpenAIToAnthropic",
    "Pair",
    "SseEvent",
    "TranslatedRequest",
    "TranslationError",
    "encode_sse",
    "get_pair",
]
