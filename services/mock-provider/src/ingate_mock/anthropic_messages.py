"""Anthropic ``POST /v1/messages`` (JSON and SSE) and ``/v1/messages/count_tokens``.

Extended thinking (the ``thinking`` field) is ``anthropic_thinking.py``'s.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ingate_mock import anthropic_thinking
from ingate_mock.anthropic_thinking import ShownBlock, ThinkingConfig
from ingate_mock.billing import CacheUse
from ingate_mock.faults import anthropic_error
from ingate_mock.reply import Reply, ToolRequest, ToolSpec, plan_reply
from ingate_mock.text import count_texts, new_id, text_of
from ingate_mock.thinking import think
from ingate_mock.wire import Request, sse_event

_PING = sse_event(b"ping", {"type": "ping"})
_STOP = sse_event(b"message_stop", {"type": "message_stop"})
# What message_delta repeats of message_start's usage (MessageDeltaUsage).
_DELTA_USAGE = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class _Message(msgspec.Struct):
    role: str
    content: str | list[dict[str, Any]]


class _Tool(msgspec.Struct):
    name: str
    input_schema: dict[str, Any] | None = None


class _ToolChoice(msgspec.Struct):
    type: str
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class MessagesRequest(msgspec.Struct):
    """The fields of a Messages API request the mock looks at."""

    model: str
    messages: list[_Message]
    max_tokens: int
    system: str | list[dict[str, Any]] | None = None
    stream: bool | None = None
    tools: list[_Tool] | None = None
    tool_choice: _ToolChoice | None = None
    thinking: ThinkingConfig | None = None


class CountTokensRequest(msgspec.Struct):
    """``count_tokens`` takes the same conversation but no ``max_tokens``."""

    model: str
    messages: list[_Message]
    system: str | list[dict[str, Any]] | None = None


_decode = msgspec.json.Decoder(MessagesRequest).decode
_decode_count = msgspec.json.Decoder(CountTokensRequest).decode


def input_tokens(system: str | list[dict[str, Any]] | None, messages: list[_Message]) -> int:
    """Words in the system prompt and every message (tool results included)."""
    return count_texts([text_of(system), *(text_of(m.content) for m in messages)])


async def count_tokens(req: Request) -> None:
    body = _decode_count(req.body)
    await req.json({"input_tokens": input_tokens(body.system, body.messages)})


async def messages(req: Request) -> None:
    request_id = req.request_id
    body = _decode(req.body)
    if not body.messages:
        message = "messages: at least one message is required"
        await req.json(anthropic_error("invalid_request_error", message, request_id), 400)
        return
    if body.max_tokens < 1:
        message = "max_tokens: Input should be greater than or equal to 1"
        await req.json(anthropic_error("invalid_request_error", message, request_id), 400)
        return
    choice = body.tool_choice
    forced = choice is not None and choice.type in ("tool", "any")
    beta = req.headers.get("anthropic-beta", "")
    thinking, problem = anthropic_thinking.setting(body.thinking, body.max_tokens, forced, beta)
    if problem is None:
        history = [(m.role, m.content) for m in body.messages]
        problem = anthropic_thinking.history_problem(history, thinking is not None)
    if problem is not None:
        await req.json(anthropic_error("invalid_request_error", problem, request_id), 400)
        return
    prompt, tool_result = _turn(body)
    reply = plan(body, req.controls.reply_tokens)
    shown: list[ShownBlock] = []
    output_tokens = reply.output_tokens
    if thinking is not None and (tool_result is None or thinking.interleaved):
        thought = think(prompt, reply, tool_result)
        how = anthropic_thinking.redaction(req.controls.redacted_thinking, prompt)
        shown = anthropic_thinking.blocks(thought, how)
        output_tokens += anthropic_thinking.tokens(thought, how)
    prompt_tokens = input_tokens(body.system, body.messages)
    cache = req.prompt_cache.marked(body.system, [m.content for m in body.messages])
    message_id = new_id("msg_01", 22)
    if body.stream:
        started = _usage(prompt_tokens, 1, cache)
        await _stream(req, body, reply, shown, started, output_tokens, message_id)
        return
    await req.json(
        {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body.model,
            "content": [*(s.block for s in shown), *_content(reply)],
            "stop_reason": stop_reason(reply),
            "stop_sequence": None,
            "usage": _usage(prompt_tokens, output_tokens, cache),
        }
    )


def _turn(body: MessagesRequest) -> tuple[str, str | None]:
    """The last user text, and the tool results the last message carries (None if none)."""
    last = body.messages[-1]
    tool_result: str | None = None
    if last.role == "user" and isinstance(last.content, list):
        results = [b for b in last.content if b.get("type") == "tool_result"]
        if results:
            tool_result = " ".join(text_of(b.get("content")) for b in results)
    prompt = ""
    for message in reversed(body.messages):
        if message.role == "user":
            prompt = text_of(message.content)
            break
    return prompt, tool_result


def plan(body: MessagesRequest, reply_tokens: int) -> Reply:
    """Turn the request's conversation into the mock's planned answer."""
    last = body.messages[-1]
    prompt, tool_result = _turn(body)
    tools: ToolRequest | None = None
    choice = body.tool_choice
    if body.tools and last.role == "user" and (choice is None or choice.type != "none"):
        forced = choice.name if choice is not None and choice.type == "tool" else None
        parallel = not (choice is not None and choice.disable_parallel_tool_use)
        specs = [ToolSpec(t.name, t.input_schema) for t in body.tools]
        tools = ToolRequest(specs, forced, parallel)
    return plan_reply(
        model=body.model,
        prompt=prompt,
        reply_tokens=reply_tokens,
        max_tokens=body.max_tokens,
        tool_result=tool_result,
        tools=tools,
    )


def stop_reason(reply: Reply) -> str:
    if reply.tool_calls:
        return "tool_use"
    return "max_tokens" if reply.truncated else "end_turn"


def _usage(prompt_tokens: int, output_tokens: int, cache: CacheUse) -> dict[str, Any]:
    """Anthropic's usage object: its input_tokens leave out what the cache read or wrote."""
    return {
        "input_tokens": prompt_tokens - cache.read - cache.write,
        "cache_creation_input_tokens": cache.write,
        "cache_read_input_tokens": cache.read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": cache.write_5m,
            "ephemeral_1h_input_tokens": cache.write_1h,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _content(reply: Reply) -> list[dict[str, Any]]:
    if reply.tool_calls:
        return [
            {"type": "tool_use", "id": new_id("toolu_01", 22), "name": c.name, "input": c.arguments}
            for c in reply.tool_calls
        ]
    return [{"type": "text", "text": reply.text}]


async def _stream(
    req: Request,
    body: MessagesRequest,
    reply: Reply,
    shown: list[ShownBlock],
    started: dict[str, Any],
    output_tokens: int,
    message_id: str,
) -> None:
    # message_start reports the input side (and a provisional output of 1); message_delta the
    # usage so far, cumulative: the input and cache counts repeated, the output now final.
    omit = req.controls.omit_usage
    stream = req.stream()
    await stream.open()
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": body.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": started,
    }
    if omit:
        del message["usage"]
    start = {"type": "message_start", "message": message}
    await stream.event(sse_event(b"message_start", start))
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [(s.opening, s.deltas) for s in shown]
    if reply.tool_calls:
        blocks += [
            (
                {"type": "tool_use", "id": new_id("toolu_01", 22), "name": c.name, "input": {}},
                [{"type": "input_json_delta", "partial_json": p} for p in c.fragments],
            )
            for c in reply.tool_calls
        ]
    else:
        deltas = [{"type": "text_delta", "text": p} for p in reply.pieces]
        blocks.append(({"type": "text", "text": ""}, deltas))
    for index, (block, deltas) in enumerate(blocks):
        opening = {"type": "content_block_start", "index": index, "content_block": block}
        await stream.event(sse_event(b"content_block_start", opening))
        if index == 0:
            await stream.event(_PING)
        for delta in deltas:
            event = {"type": "content_block_delta", "index": index, "delta": delta}
            await stream.token(sse_event(b"content_block_delta", event))
        closing = {"type": "content_block_stop", "index": index}
        await stream.event(sse_event(b"content_block_stop", closing))
    final = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(reply), "stop_sequence": None},
        "usage": {**{k: started[k] for k in _DELTA_USAGE}, "output_tokens": output_tokens},
    }
    if omit:
        del final["usage"]
    await stream.event(sse_event(b"message_delta", final))
    await stream.event(_STOP)
    await stream.close()
