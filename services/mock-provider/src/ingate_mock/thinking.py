"""The reasoning the mock shows before it answers, shared by every dialect.

A reasoning request (Anthropic ``thinking``, OpenAI Responses ``reasoning``, chat
``reasoning_effort``) gets a short, deterministic thought that says what the planned
:class:`~ingate_mock.reply.Reply` will do: call a tool, use a tool's result, or answer
the prompt. Like everything the mock says, one word is one token, so tests can
predict the thinking's share of the output tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingate_mock.reply import Reply
from ingate_mock.text import as_pieces

_QUOTED_WORDS = 8  # of the prompt or tool result; the thought stays short


@dataclass(frozen=True, slots=True)
class Thought:
    """The reasoning shown: its stream deltas (one per word) and whole text."""

    pieces: list[str]

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def tokens(self) -> int:
        return len(self.pieces)


def think(prompt: str, reply: Reply, tool_result: str | None = None) -> Thought:
    """The thought that leads to ``reply`` (``tool_result`` when the turn answers a tool)."""
    if tool_result is not None:
        words = ["The", "tool", "returned:", *_quote(tool_result), "so", "I", "can", "answer", "now."]
    else:
        words = ["The", "user", "wrote:", *_quote(prompt)]
        if reply.tool_calls:
            names = " and ".join(call.name for call in reply.tool_calls).split()
            words += ["I", "should", "call", *names, "first."]
        else:
            words += ["I", "will", "answer", "directly."]
    return Thought(as_pieces(words))


def _quote(text: str) -> list[str]:
    words = text.split()
    return words[:_QUOTED_WORDS] + (["..."] if len(words) > _QUOTED_WORDS else [])
