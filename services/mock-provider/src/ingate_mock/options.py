"""Server-wide settings of the mock provider."""

from __future__ import annotations

import msgspec

from ingate_mock.schedule import FaultSchedule


class MockOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the mock behaves when a request carries no ``X-Mock-*`` override.

    A key left as ``None`` means "accept any non-empty credential" for OpenAI,
    Anthropic and Gemini, and "no credential needed" for Ollama. ``faults`` is the
    schedule the instance starts with; ``control_port`` is where the server
    (not a bare ``create_app``) serves the control API alone, 0 for a free port.
    """

    host: str = "127.0.0.1"
    port: int = 8081
    openai_key: str | None = None
    anthropic_key: str | None = None
    ollama_key: str | None = None
    gemini_key: str | None = None
    latency_ms: float = 0.0
    tokens_per_second: float = 0.0
    reply_tokens: int = 12
    faults: FaultSchedule = FaultSchedule()
    control_port: int = 0
