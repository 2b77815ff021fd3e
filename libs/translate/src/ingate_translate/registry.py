"""Every translation pair, keyed by (client format, backend format).

Adding a pair means adding its module and one line to PAIRS.
"""

from ingate_providers import Format
from ingate_translate.anthropic_openai import AnthropicToOpenAI
from ingate_translate.base import Pair
from ingate_translate.openai_anthropic import OpenAIToAnthropic

PAIRS: dict[tuple[Format, Format], Pair] = {
    ("openai", "anthropic"): OpenAIToAnthropic(),
    ("anthropic", "openai"): AnthropicToOpenAI(),
}


def get_pair(client: Format, backend: Format) -> Pair | None:
    """The pair translating `client` requests for a `backend` provider, if there is one."""
    return PAIRS.get((client, backend))
