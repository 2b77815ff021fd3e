"""Sequencing deltas that may interleave (OpenAI-style streams) into IR parts that never do.

OpenAI streams reasoning, text and tool calls as deltas that may arrive in any order: a
backend can interleave argument fragments of several tool calls (by `index`). IR parts
cannot interleave: each part starts, receives its deltas and stops before the next one
starts. This module keeps the order of first appearance and never drops or misassigns a
fragment:

- the open part streams live;
- a tool call that appears while another tool call is open waits, with its fragments
  buffered, until that one closes;
- an open tool call stays open until the message ends, because OpenAI gives no signal
  that a call's arguments are complete (a late fragment must still fit);
- text or reasoning that arrives while a tool call is open waits behind it the same way;
- a tool call opens once its function name is known (the IR needs it up front).

When the message ends, `close_all` closes the open part and then emits every waiting
part in order, each as start, one delta with its buffered content, stop. The output
depends only on the sequence of deltas, never on how they were batched.
"""

from typing import Literal

from msgspec import Struct, field

from ingate_translate import ir

TEXT = -1
"""`Waiting.tool` for a text segment."""
THINKING = -2
"""`Waiting.tool` for a reasoning segment."""

Kind = Literal["", "text", "thinking", "tool"]


class ToolSlot(Struct, array_like=True):
    id: str
    name: str


class Waiting(Struct, array_like=True):
    tool: int  # the stream's tool_calls index, or TEXT / THINKING
    buffer: str
    signature: str = ""


class Blocks(Struct, array_like=True):
    next_index: int = 0  # IR index of the next part to open
    open_kind: Kind = ""
    open_tool: int = -1  # the tool_calls index of the open tool call
    tools: dict[int, ToolSlot] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)


def _close_open(blocks: Blocks, out: list[ir.Event]) -> None:
    if blocks.open_kind:
        out.append(ir.PartStop(index=blocks.next_index - 1))
        blocks.open_kind, blocks.open_tool = "", -1


def _delta(blocks: Blocks, kind: Kind, content: str, out: list[ir.Event]) -> None:
    if not content:
        return
    index = blocks.next_index - 1
    if kind == "text":
        out.append(ir.PartDelta(index=index, text=content))
    elif kind == "thinking":
        out.append(ir.PartDelta(index=index, thinking=content))
    else:
        out.append(ir.PartDelta(index=index, arguments=content))


def _kind(item: Waiting) -> Kind:
    return "text" if item.tool == TEXT else "thinking" if item.tool == THINKING else "tool"


def _open(blocks: Blocks, item: Waiting, fallback_id: str, out: list[ir.Event]) -> None:
    """Open the part for `item` (closing the open one) and emit what it has buffered."""
    kind = _kind(item)
    if kind != "tool" and blocks.open_kind == kind:
        _delta(blocks, kind, item.buffer, out)
    else:
        _close_open(blocks, out)
        part: ir.Part
        if kind == "text":
            part = ir.Text(text="")
        elif kind == "thinking":
            part = ir.Thinking()
        else:
            slot = blocks.tools[item.tool]
            part = ir.ToolCall(id=slot.id or f"{fallback_id}_{item.tool}", name=slot.name)
        out.append(ir.PartStart(index=blocks.next_index, part=part))
        blocks.next_index += 1
        blocks.open_kind, blocks.open_tool = kind, item.tool if kind == "tool" else -1
        _delta(blocks, kind, item.buffer, out)
    if item.signature:
        out.append(ir.PartDelta(index=blocks.next_index - 1, signature=item.signature))


def _advance(blocks: Blocks, fallback_id: str, out: list[ir.Event]) -> None:
    """Open waiting parts while nothing holds them back."""
    while blocks.waiting and blocks.open_kind != "tool":
        head = blocks.waiting[0]
        if head.tool >= 0 and not blocks.tools[head.tool].name:
            return
        blocks.waiting.pop(0)
        _open(blocks, head, fallback_id, out)


def add_text(
    blocks: Blocks,
    text: str,
    fallback_id: str,
    out: list[ir.Event],
    thinking: bool = False,
    signature: str = "",
) -> None:
    """A text (or reasoning) delta: streamed into the open part of its kind, or a new one,
    unless something waits first. `signature` closes the reasoning it follows."""
    if not text and not signature:
        return
    kind: Kind = "thinking" if thinking else "text"
    tag = THINKING if thinking else TEXT
    if blocks.waiting or blocks.open_kind == "tool":
        last = blocks.waiting[-1] if blocks.waiting else None
        if last is not None and last.tool == tag and not last.signature:
            last.buffer += text
            last.signature = signature
        else:
            blocks.waiting.append(Waiting(tag, text, signature))
        return
    if blocks.open_kind == kind and not text:
        out.append(ir.PartDelta(index=blocks.next_index - 1, signature=signature))
        return
    _open(blocks, Waiting(tag, text, signature), fallback_id, out)


def add_tool_delta(
    blocks: Blocks,
    index: int,
    call_id: str | None,
    name: str | None,
    arguments: str,
    fallback_id: str,
    out: list[ir.Event],
) -> None:
    """A tool_calls delta for tool `index`: a new call, its name/id, or an argument fragment."""
    slot = blocks.tools.get(index)
    if slot is None:
        blocks.tools[index] = ToolSlot(call_id or "", name or "")
        blocks.waiting.append(Waiting(index, arguments))
    else:
        slot.id = slot.id or call_id or ""
        slot.name = slot.name or name or ""
        if blocks.open_kind == "tool" and blocks.open_tool == index:
            _delta(blocks, "tool", arguments, out)
            return
        # Not open, so waiting: a call leaves the queue only to become the open part, which
        # stays open until close_all ends the message.
        for item in blocks.waiting:
            if item.tool == index:
                item.buffer += arguments
                break
    _advance(blocks, fallback_id, out)


def close_all(blocks: Blocks, fallback_id: str, out: list[ir.Event]) -> None:
    """The message is over: close the open part, then emit every waiting part in order."""
    _close_open(blocks, out)
    for item in blocks.waiting:
        _open(blocks, item, fallback_id, out)
        _close_open(blocks, out)
    blocks.waiting.clear()
