"""OpenAI Responses reasoning: the ``reasoning`` item the mock shows and the check OpenAI makes
on the reasoning items a conversation sends back.

- ``reasoning.effort`` set (and not ``"none"``) makes the answer start with a reasoning item
  ``rs_…``: its ``summary`` holds the thought when ``reasoning.summary`` is set (empty
  otherwise), its ``encrypted_content`` the sealed thought when ``include`` has
  ``"reasoning.encrypted_content"``; ``output_tokens_details.reasoning_tokens`` counts it.
- A reasoning item in ``input`` whose ``encrypted_content`` the mock did not seal, or that
  was altered, is refused with OpenAI's ``invalid_encrypted_content``; one without it cannot
  be looked up when ``store`` is false (the mock keeps no items, so with ``store`` on it is
  taken on trust).
"""

from __future__ import annotations

from typing import Any

import msgspec

from ingate_mock.faults import openai_error
from ingate_mock.signatures import opened, seal
from ingate_mock.text import new_hex_id
from ingate_mock.thinking import Thought

ENCRYPTED = "reasoning.encrypted_content"


class ReasoningConfig(msgspec.Struct):
    """The request's ``reasoning`` field."""

    effort: str | None = None
    summary: str | None = None


def wanted(config: ReasoningConfig) -> bool:
    """Whether the request asks the model to reason (and so to show a reasoning item)."""
    return config.effort not in (None, "none")


def item(thought: Thought, config: ReasoningConfig, include: list[str] | None) -> dict[str, Any]:
    """The reasoning output item, whole."""
    summary = [summary_part(thought.text)] if config.summary is not None else []
    shown: dict[str, Any] = {"id": new_hex_id("rs_"), "type": "reasoning", "summary": summary}
    if include is not None and ENCRYPTED in include:
        shown["encrypted_content"] = seal(thought.text)
    return shown


def summary_part(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def input_problem(items: list[dict[str, Any]], store: bool | None) -> tuple[int, dict[str, Any]] | None:
    """The status and body OpenAI refuses the input's reasoning items with, or None."""
    for position, entry in enumerate(items):
        if entry.get("type") != "reasoning":
            continue
        encrypted = entry.get("encrypted_content")
        if encrypted is None:
            if store is False:
                name = entry.get("id") or f"input[{position}]"
                message = (
                    f"Item with id '{name}' not found. Items are not persisted when `store` is set "
                    "to false. Try again with `store` set to true, or remove this item from your input."
                )
                return 404, openai_error(message, "invalid_request_error", param="input")
            continue
        if not isinstance(encrypted, str) or opened(encrypted) is None:
            shown = str(encrypted)
            brief = f"{shown[:4]}...{shown[-4:]}" if len(shown) > 8 else shown
            message = f"The encrypted content {brief} could not be verified."
            body = openai_error(message, "invalid_request_error", code="invalid_encrypted_content")
            return 400, body
    return None
