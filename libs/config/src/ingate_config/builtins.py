"""The providers every Ingate knows without configuration, at their public addresses.

Base URLs follow each SDK's own convention so an operator can paste them: OpenAI's
includes `/v1`, Anthropic's and Ollama's do not.
"""

from typing import Final

from ingate_config.model import ProviderFormat


class BuiltinProvider:
    __slots__ = ("base_url", "fallback_key_env", "format", "name")

    def __init__(
        self, name: str, format: ProviderFormat, base_url: str, fallback_key_env: str | None
    ) -> None:
        self.name = name
        self.format: ProviderFormat = format
        self.base_url = base_url
        self.fallback_key_env = fallback_key_env


BUILTIN_PROVIDERS: Final[tuple[BuiltinProvider, ...]] = (
    BuiltinProvider("openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    BuiltinProvider("anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    BuiltinProvider("ollama", "ollama", "http://localhost:11434", None),
)
