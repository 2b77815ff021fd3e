"""Every format Ingate speaks, keyed by name. Adding a format means its module and one line here."""

from typing import Final

from ingate_providers.anthropic import ANTHROPIC
from ingate_providers.format import Format, ProviderFormat
from ingate_providers.gemini import GEMINI
from ingate_providers.ollama import OLLAMA
from ingate_providers.openai import OPENAI

FORMATS: Final[dict[Format, ProviderFormat]] = {
    "openai": OPENAI,
    "anthropic": ANTHROPIC,
    "ollama": OLLAMA,
    "gemini": GEMINI,
}

# The format an unknown path is answered in when no format claims its prefix: the API most
# SDKs and tools speak.
FALLBACK_FORMAT: Final = OPENAI

# Content types of a streamed answer, in any format.
STREAM_CONTENT_TYPES: Final = tuple(dict.fromkeys(f.stream_content_type for f in FORMATS.values()))
