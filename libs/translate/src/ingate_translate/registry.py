"""Every translation pair, keyed by (client shape, backend shape).

Adding a pair means adding its module and one line to PAIRS.
"""

from ingate_providers import Shape
from ingate_translate.anthropic_openai import AnthropicToOpenAI
from ingate_translate.base import Pair
from ingate_translate.openai_anthropic import OpenAIToAnthropic

PAIRS: dict[tuple[Shape, Shape], Pair] = {
    ("openai-chat", "anthropic-messages"): OpenAIToAnthropic(),
    ("anthropic-messages", "openai-chat"): AnthropicToOpenAI(),
}


def get_pair(client: Shape, backend: Shape) -> Pair | None:
    """The pair translating `client` requests for a `backend` provider, if there is one."""
    return PAIRS.get((client, backend))
