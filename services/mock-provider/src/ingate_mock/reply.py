"""What the mock answers: echoed text, tool calls, tool-result acknowledgement
or a structured (JSON-schema) output. Shared by all dialects, which only
translate their request into a :func:`plan_reply` call and the resulting
:class:`Reply` into their wire shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ingate_mock.synth import sample_arguments, sample_value
from ingate_mock.text import as_pieces, echo_words, fragments, mentions_parallel

_encode = msgspec.json.Encoder().encode


class FunctionDef(msgspec.Struct):
    name: str
    parameters: dict[str, Any] | None = None


class FunctionTool(msgspec.Struct):
    """A tool as OpenAI's chat API declares it; Ollama's /api/chat takes the same shape."""

    type: str = "function"
    function: FunctionDef | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered by the caller: its name and JSON-schema parameters."""

    name: str
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One synthesised call: arguments as an object and as compact JSON text."""

    name: str
    arguments: dict[str, Any]
    arguments_json: str

    @property
    def fragments(self) -> list[str]:
        """The JSON text cut into the partial chunks a stream delivers."""
        return fragments(self.arguments_json)

    @property
    def tokens(self) -> int:
        """Output tokens billed for this call (name plus one per fragment)."""
        return 1 + len(self.fragments)


@dataclass(slots=True)
class Reply:
    """The planned answer.

    ``pieces`` are the text deltas (their concatenation is the full text, one
    piece per token); ``truncated`` is true when a max-tokens cap cut it short.
    """

    pieces: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    truncated: bool = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def output_tokens(self) -> int:
        return len(self.pieces) + sum(call.tokens for call in self.tool_calls)


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """Tools the model may call this turn (only built when calling is allowed)."""

    tools: Sequence[ToolSpec]
    forced: str | None = None
    allow_parallel: bool = True


def make_call(name: str, schema: Mapping[str, Any] | None) -> ToolCall:
    """A call to ``name`` with arguments synthesised from ``schema``."""
    args = sample_arguments(schema)
    return ToolCall(name=name, arguments=args, arguments_json=_encode(args).decode())


def plan_tool_calls(request: ToolRequest, prompt: str) -> list[ToolCall]:
    """One call to the forced or first tool; one per tool if the prompt says "parallel"."""
    tools = list(request.tools)
    if not tools:
        return []
    if request.forced is not None:
        for tool in tools:
            if tool.name == request.forced:
                return [make_call(tool.name, tool.schema)]
        return [make_call(request.forced, None)]
    if request.allow_parallel and mentions_parallel(prompt):
        return [make_call(tool.name, tool.schema) for tool in tools]
    return [make_call(tools[0].name, tools[0].schema)]


def plan_reply(
    *,
    model: str,
    prompt: str,
    reply_tokens: int,
    max_tokens: int | None = None,
    tool_result: str | None = None,
    tools: ToolRequest | None = None,
    json_schema: Mapping[str, Any] | None = None,
) -> Reply:
    """Decide the answer for one turn.

    - ``tool_result`` set (the last turn carried tool output): text
      ``Tool result received: <content>``;
    - ``tools`` set (caller offered tools and the last turn is the user's):
      tool calls;
    - ``json_schema`` set: a JSON document conforming to it;
    - otherwise ``Mock reply from <model>:`` plus the prompt's words, cycled to
      ``reply_tokens`` words. ``max_tokens`` caps text replies.
    """
    if tool_result is None and tools is not None:
        calls = plan_tool_calls(tools, prompt)
        if calls:
            return Reply(tool_calls=calls)
    if tool_result is None and json_schema is not None:
        document = _encode(sample_value(json_schema)).decode()
        return Reply(pieces=fragments(document))
    if tool_result is not None:
        words = ["Tool", "result", "received:", *tool_result.split()]
    else:
        words = echo_words(model, prompt, max(reply_tokens, 0))
    truncated = max_tokens is not None and max_tokens < len(words)
    if truncated and max_tokens is not None:
        words = words[: max(max_tokens, 0)]
    return Reply(pieces=as_pieces(words), truncated=truncated)
