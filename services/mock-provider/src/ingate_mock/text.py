"""Deterministic text helpers shared by every dialect.

The mock's tokenizer is deliberately trivial: one whitespace-separated word is
one token. Prompt token counts are the number of words across all message text
(no per-message overhead), so tests can predict usage blocks exactly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"
_FRAGMENT_SIZE = 8


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` followed by ``length`` random alphanumerics (``call_…``, ``msg_…``)."""
    return prefix + "".join(random.choices(_ALNUM, k=length))


def new_hex_id(prefix: str, length: int = 48) -> str:
    """``prefix`` followed by ``length`` random lowercase hex digits (``resp_…``)."""
    return prefix + "".join(random.choices(_HEX, k=length))


def unix_now() -> int:
    """Current time in whole seconds, as OpenAI's ``created`` fields carry it."""
    return int(time.time())


def rfc3339_now() -> str:
    """Current UTC time with nanoseconds, formatted as Go (and so Ollama) does."""
    ns = time.time_ns()
    seconds, frac = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{frac:09d}Z"


def text_of(content: object) -> str:
    """Plain text of a message ``content`` in any dialect.

    Accepts a string, ``None``, or a list of content blocks; text is gathered
    from ``text`` fields and from nested ``content`` (Anthropic ``tool_result``
    blocks), other block kinds (images, audio) contribute nothing.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping):
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
                nested = block.get("content")
                if nested is not None:
                    parts.append(text_of(nested))
        return " ".join(p for p in parts if p)
    return ""


def count_texts(texts: Iterable[str]) -> int:
    """Total token count of several texts (one whitespace-separated word = one token)."""
    return sum(len(t.split()) for t in texts)


def as_pieces(words: Sequence[str]) -> list[str]:
    """Stream deltas for ``words``: each word after the first keeps a leading space."""
    if not words:
        return []
    return [words[0], *(" " + w for w in words[1:])]


def echo_words(model: str, prompt: str, length: int) -> list[str]:
    """``Mock reply from <model>:`` followed by the prompt's words, cycled to ``length``."""
    header = ["Mock", "reply", "from", f"{model}:"]
    if length <= len(header):
        return header[:length]
    source = prompt.split() or ["ok"]
    body_len = length - len(header)
    cycles, rest = divmod(body_len, len(source))
    return header + source * cycles + source[:rest]


def fragments(text: str) -> list[str]:
    """Split ``text`` into at least two non-empty pieces (if it has two characters).

    Used for streamed tool-call arguments and structured outputs, where real
    providers deliver JSON in several partial chunks.
    """
    if len(text) < 2:
        return [text] if text else []
    if len(text) <= _FRAGMENT_SIZE:
        half = len(text) // 2
        return [text[:half], text[half:]]
    return [text[i : i + _FRAGMENT_SIZE] for i in range(0, len(text), _FRAGMENT_SIZE)]


def mentions_parallel(text: str) -> bool:
    """Whether the prompt asks for parallel tool calls."""
    return "parallel" in text.lower()
