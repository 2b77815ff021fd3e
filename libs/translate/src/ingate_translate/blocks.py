"""Sequencing OpenAI stream deltas into Anthropic content blocks.

OpenAI streams text and tool calls as deltas that may arrive in any order: a
backend can interleave argument fragments of several tool calls (by `index`).
Anthropic blocks cannot interleave: each block starts, receives its deltas and
stops before the next one starts. This module keeps the order of first
appearance and never drops or misassigns a fragment:

- the open block streams live;
- a tool call that appears while another tool_use block is open waits, with its
  fragments buffered, until that block closes;
- an open tool_use block stays open until the message ends, because OpenAI gives
  no signal that a call's arguments are complete (a late fragment must still fit);
- text that arrives while a tool_use block is open waits behind it in the same way;
- a tool call opens once its function name is known (Anthropic needs it up front).

When the message ends, `close_all` closes the open block and then emits every
waiting block in order, each as start, one delta with its buffered content, stop.
The output depends only on the sequence of deltas, never on how they were batched.
"""

import msgspec
from msgspec import Struct, field

from ingate_translate.base import SseEvent
from ingate_translate.schemas import anthropic as an
from ingate_translate.schemas.anthropic import ContentBlockDelta, ContentBlockStart

TEXT = -1
"""`Waiting.tool` for a text segment."""

_encode = msgspec.json.Encoder().encode


class ToolSlot(Struct, array_like=True):
    id: str
    name: str


class Waiting(Struct, array_like=True):
    tool: int  # OpenAI tool_calls index, or TEXT
    buffer: str


class Blocks(Struct, kw_only=True):
    next_index: int = 0  # Anthropic index of the next block to open
    open_kind: str = ""  # "", "text" or "tool_use"
    open_tool: int = -1  # OpenAI index of the tool call in the open tool_use block
    tools: dict[int, ToolSlot] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)


def event(value: Struct) -> SseEvent:
    """A tagged Anthropic stream event struct → the named SSE event carrying it."""
    return SseEvent(str(type(value).__struct_config__.tag), _encode(value).decode())


def _close_open(blocks: Blocks, out: list[SseEvent]) -> None:
    if blocks.open_kind:
        out.append(event(an.ContentBlockStop(blocks.next_index - 1)))
        blocks.open_kind, blocks.open_tool = "", -1


def _text_delta(blocks: Blocks, text: str, out: list[SseEvent]) -> None:
    if text:
        delta = ContentBlockDelta[an.OutDelta](blocks.next_index - 1, an.TextDelta(text))
        out.append(event(delta))


def _json_delta(blocks: Blocks, fragment: str, out: list[SseEvent]) -> None:
    if fragment:
        delta = ContentBlockDelta[an.OutDelta](blocks.next_index - 1, an.InputJSONDelta(fragment))
        out.append(event(delta))


def _open(blocks: Blocks, item: Waiting, fallback_id: str, out: list[SseEvent]) -> None:
    """Open the block for `item` (closing the open one) and emit what it has buffered."""
    if item.tool == TEXT and blocks.open_kind == "text":
        _text_delta(blocks, item.buffer, out)
        return
    _close_open(blocks, out)
    block: an.OutBlock
    if item.tool == TEXT:
        block = an.TextBlock("")
    else:
        slot = blocks.tools[item.tool]
        block = an.ToolUseBlock(id=slot.id or f"{fallback_id}_{item.tool}", name=slot.name, input={})
    out.append(event(ContentBlockStart[an.OutBlock](blocks.next_index, block)))
    blocks.next_index += 1
    if item.tool == TEXT:
        blocks.open_kind = "text"
        _text_delta(blocks, item.buffer, out)
    else:
        blocks.open_kind, blocks.open_tool = "tool_use", item.tool
        _json_delta(blocks, item.buffer, out)


def _advance(blocks: Blocks, fallback_id: str, out: list[SseEvent]) -> None:
    """Open waiting blocks while nothing holds them back."""
    while blocks.waiting and blocks.open_kind != "tool_use":
        head = blocks.waiting[0]
        if head.tool != TEXT and not blocks.tools[head.tool].name:
            return
        blocks.waiting.pop(0)
        _open(blocks, head, fallback_id, out)


def add_text(blocks: Blocks, text: str, fallback_id: str, out: list[SseEvent]) -> None:
    """A text delta: streamed into the open text block, or a new one, unless something waits first."""
    if not text:
        return
    if blocks.waiting or blocks.open_kind == "tool_use":
        last = blocks.waiting[-1] if blocks.waiting else None
        if last is not None and last.tool == TEXT:
            last.buffer += text
        else:
            blocks.waiting.append(Waiting(TEXT, text))
        return
    _open(blocks, Waiting(TEXT, text), fallback_id, out)


def add_tool_delta(
    blocks: Blocks,
    index: int,
    call_id: str | None,
    name: str | None,
    arguments: str,
    fallback_id: str,
    out: list[SseEvent],
) -> None:
    """A tool_calls delta for OpenAI tool `index`: a new call, its name/id, or an argument fragment."""
    slot = blocks.tools.get(index)
    if slot is None:
        blocks.tools[index] = ToolSlot(call_id or "", name or "")
        blocks.waiting.append(Waiting(index, arguments))
    else:
        slot.id = slot.id or call_id or ""
        slot.name = slot.name or name or ""
        if blocks.open_kind == "tool_use" and blocks.open_tool == index:
            _json_delta(blocks, arguments, out)
            return
        # Not open, so waiting: a call leaves the queue only to become the open block, which
        # stays open until close_all ends the message.
        for item in blocks.waiting:
            if item.tool == index:
                item.buffer += arguments
                break
    _advance(blocks, fallback_id, out)


def close_all(blocks: Blocks, fallback_id: str, out: list[SseEvent]) -> None:
    """The message is over: close the open block, then emit every waiting block in order."""
    _close_open(blocks, out)
    for item in blocks.waiting:
        _open(blocks, item, fallback_id, out)
        _close_open(blocks, out)
    blocks.waiting.clear()
