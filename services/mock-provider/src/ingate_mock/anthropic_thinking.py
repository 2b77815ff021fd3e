"""Anthropic extended thinking: the request's ``thinking`` setting, the signed thinking the
mock shows, and the checks Anthropic makes on the thinking a conversation sends back.

- ``{"type": "enabled", "budget_tokens": N}`` (N ≥ 1024 and below ``max_tokens``),
  ``{"type": "adaptive"}`` or ``{"type": "between_tools"}`` turn thinking on; the answer
  then starts with a ``thinking`` block whose ``signature`` covers its text. After a tool
  result the turn goes on without thinking again, unless thinking is interleaved
  (adaptive, between_tools, or the ``interleaved-thinking-*`` beta), as with Claude.
- ``X-Mock-Redacted-Thinking: only|also``, or Anthropic's magic trigger string in the
  prompt, make the thinking come as a ``redacted_thinking`` block (instead, or after it).
- Every ``thinking`` block sent back must carry the signature the mock issued for its
  text, and every ``redacted_thinking`` block the mock's sealed data; with thinking on, an
  assistant turn whose tool use is being answered must start with its thinking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ingate_mock.controls import Redaction
from ingate_mock.signatures import opened, seal, sign, valid
from ingate_mock.thinking import Thought

MIN_BUDGET = 1024
# Anthropic's documented string that makes Claude answer with redacted thinking.
MAGIC_REDACTION = (
    "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
    "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"
)
_TYPES = ("enabled", "disabled", "adaptive", "between_tools")
_INTERLEAVED_TYPES = ("adaptive", "between_tools")
_INTERLEAVED_BETA = "interleaved-thinking-"
_THINKING_KINDS = ("thinking", "redacted_thinking")


class ThinkingConfig(msgspec.Struct):
    """The request's ``thinking`` field."""

    type: str
    budget_tokens: int | None = None
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Thinking:
    """How this request thinks (``None`` in its place: it does not)."""

    interleaved: bool  # thinks again after a tool result


def setting(
    config: ThinkingConfig | None, max_tokens: int, forced_tool: bool, beta: str
) -> tuple[Thinking | None, str | None]:
    """The request's thinking, or the message of the 400 Anthropic answers its setting with."""
    if config is None or config.type == "disabled":
        return None, None
    if config.type not in _TYPES:
        expected = ", ".join(f"'{t}'" for t in _TYPES)
        return None, (
            f"thinking: Input tag '{config.type}' found using 'type' does not match any of the "
            f"expected tags: {expected}"
        )
    if config.type == "enabled":
        budget = config.budget_tokens
        if budget is None:
            return None, "thinking.enabled.budget_tokens: Field required"
        if budget < MIN_BUDGET:
            return None, (
                f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
            )
        if max_tokens <= budget:
            return None, "`max_tokens` must be greater than `thinking.budget_tokens`."
    if forced_tool:
        return None, "Thinking may not be enabled when `tool_choice` forces tool use."
    interleaved = config.type in _INTERLEAVED_TYPES or _INTERLEAVED_BETA in beta
    return Thinking(interleaved=interleaved), None


def history_problem(messages: list[tuple[str, str | list[dict[str, Any]]]], thinking: bool) -> str | None:
    """Why Anthropic refuses the thinking in ``messages`` (role, content pairs), or None."""
    for index, (role, content) in enumerate(messages):
        if role != "assistant" or isinstance(content, str):
            continue
        for position, block in enumerate(content):
            where = f"messages.{index}.content.{position}"
            kind = block.get("type")
            if kind == "thinking":
                text, signature = block.get("thinking"), block.get("signature")
                if not isinstance(text, str):
                    return f"{where}.thinking.thinking: Field required"
                if not isinstance(signature, str):
                    return f"{where}.thinking.signature: Field required"
                if not valid(text, signature):
                    return f"{where}: Invalid `signature` in `thinking` block"
            elif kind == "redacted_thinking":
                data = block.get("data")
                if not isinstance(data, str):
                    return f"{where}.redacted_thinking.data: Field required"
                if opened(data) is None:
                    return f"{where}: Invalid `data` in `redacted_thinking` block"
    return _tool_loop_problem(messages) if thinking else None


def _tool_loop_problem(messages: list[tuple[str, str | list[dict[str, Any]]]]) -> str | None:
    """With thinking on, the assistant turn whose tool use the last message answers must
    start with its thinking: Claude cannot go on without the reasoning behind the call."""
    if len(messages) < 2:
        return None
    role, content = messages[-1]
    answers_tool = isinstance(content, list) and any(b.get("type") == "tool_result" for b in content)
    previous_role, previous = messages[-2]
    if role != "user" or not answers_tool or previous_role != "assistant":
        return None
    first = "text" if isinstance(previous, str) or not previous else str(previous[0].get("type"))
    if first in _THINKING_KINDS:
        return None
    return (
        f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or `redacted_thinking`, "
        f"but found `{first}`. When `thinking` is enabled, a final `assistant` message must start "
        "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` "
        "blocks). We recommend you include thinking blocks from previous turns. To avoid this "
        "requirement, disable `thinking`."
    )


def redaction(control: Redaction, prompt: str) -> Redaction:
    """How the thinking comes: the control's way, or redacted when the prompt asks as Anthropic's
    magic string does."""
    return "only" if MAGIC_REDACTION in prompt else control


@dataclass(frozen=True, slots=True)
class ShownBlock:
    """One thinking block of the answer, whole and as the stream sends it."""

    block: dict[str, Any]  # as the JSON answer carries it
    opening: dict[str, Any]  # content_block_start's content_block
    deltas: list[dict[str, Any]]


def blocks(thought: Thought, how: Redaction) -> list[ShownBlock]:
    """The thinking blocks that open the answer."""
    shown: list[ShownBlock] = []
    if how != "only":
        signature = sign(thought.text)
        block = {"type": "thinking", "thinking": thought.text, "signature": signature}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in thought.pieces]
        deltas.append({"type": "signature_delta", "signature": signature})
        shown.append(ShownBlock(block, {"type": "thinking", "thinking": "", "signature": ""}, deltas))
    if how != "none":
        block = {"type": "redacted_thinking", "data": seal(thought.text)}
        shown.append(ShownBlock(block, block, []))
    return shown


def tokens(thought: Thought, how: Redaction) -> int:
    """Output tokens the thinking costs (each block shown is billed)."""
    return thought.tokens * (2 if how == "also" else 1)
