"""Server-wide settings of the mock provider."""

from __future__ import annotations

import msgspec


class MockOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the mock behaves when a request carries no ``X-Mock-*`` override.

    A key left as ``None`` means "accept any non-empty credential" for OpenAI
    and Anthropic, and "no credential needed" for Ollama.
    """

    host: str = "127.0.0.1"
    port: int = 8081
    openai_key: str | None = None
    anthropic_key: str | None = None
    ollama_key: str | None = None
    latency_ms: float = 0.0
    tokens_per_second: float = 0.0
    reply_tokens: int = 12
