"""The token kinds the mock bills beside plain input and output: prompt-cache reads and writes,
and reasoning.

Prompt caching follows the providers' rules, with the mock's one word = one token:

- OpenAI caches automatically: a prompt of at least 1024 tokens seen before is read from the
  cache in 128-token steps (``prompt_tokens_details.cached_tokens`` /
  ``input_tokens_details.cached_tokens``); a first sight costs nothing extra.
- Anthropic caches what the request marks: the prompt up to and including the last block with
  ``cache_control`` (system blocks, then message blocks), when it is at least 1024 tokens. A
  first sight writes it (``cache_creation_input_tokens``, split by ``ttl`` into
  ``ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``), a repeat reads it
  (``cache_read_input_tokens``). ``input_tokens`` is then only the uncached rest.

The cache belongs to the instance, like a provider's does to an organisation. Reasoning models
(OpenAI's ``o1``/``o3``/``o4``/``gpt-5`` families) think as many tokens as they answer: billed
as ``completion_tokens_details.reasoning_tokens`` / ``output_tokens_details.reasoning_tokens``
and included in the output count.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ingate_mock.text import count_texts, text_of

MIN_CACHED_TOKENS: Final = 1024
_CACHE_STEP: Final = 128
_CAPACITY: Final = 4096  # prefixes remembered; the oldest is forgotten first
_REASONING_MODELS: Final = ("o1", "o3", "o4", "gpt-5")


@dataclass(frozen=True, slots=True)
class CacheUse:
    """What one request's prompt did to the cache, in tokens."""

    read: int = 0
    write_5m: int = 0
    write_1h: int = 0

    @property
    def write(self) -> int:
        return self.write_5m + self.write_1h


class PromptCache:
    """The prompt prefixes an instance has cached."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def _hit(self, prefix: str) -> bool:
        """Whether `prefix` was cached; it is cached (again) from now on."""
        key = hashlib.blake2b(prefix.encode(), digest_size=16).digest()
        hit = key in self._seen
        self._seen[key] = None
        self._seen.move_to_end(key)
        if len(self._seen) > _CAPACITY:
            self._seen.popitem(last=False)
        return hit

    def automatic(self, texts: Iterable[str]) -> CacheUse:
        """OpenAI's automatic caching of a whole prompt."""
        prompt = "\n".join(texts)
        tokens = count_texts([prompt])
        if tokens < MIN_CACHED_TOKENS or not self._hit(prompt):
            return CacheUse()
        return CacheUse(read=tokens - tokens % _CACHE_STEP)

    def marked(self, system: object, contents: Iterable[object]) -> CacheUse:
        """Anthropic's caching of the prefix up to the last ``cache_control`` breakpoint, over
        the system prompt and the messages' contents."""
        prefix: list[str] = []
        cached: list[str] = []
        ttl = "5m"
        for block in [*_blocks(system), *(b for content in contents for b in _blocks(content))]:
            prefix.append(text_of([block]))
            control = block.get("cache_control")
            if isinstance(control, Mapping):
                cached = list(prefix)
                ttl = str(control.get("ttl", "5m"))
        tokens = count_texts(cached)
        if tokens < MIN_CACHED_TOKENS:
            return CacheUse()
        if self._hit("\n".join(cached)):
            return CacheUse(read=tokens)
        return CacheUse(write_1h=tokens) if ttl == "1h" else CacheUse(write_5m=tokens)


def reasoning_tokens(model: str, answer_tokens: int) -> int:
    """What a model thinks before answering `answer_tokens` (0 for models that do not reason)."""
    return answer_tokens if model.startswith(_REASONING_MODELS) else 0


def _blocks(content: object) -> list[Mapping[str, Any]]:
    """A system prompt's or a message's content as blocks (a plain string is one block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, Mapping)]
    return []
