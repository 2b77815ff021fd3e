"""OpenAI ``POST /v1/chat/completions``: JSON and SSE, text and tool calls.

A request with ``reasoning_effort`` (other than ``"none"``) is answered as OpenAI-compatible
reasoning servers (DeepSeek, vLLM) do: the thought comes first as ``reasoning_content`` (on the
message, or in stream deltas before the content), counted in ``reasoning_tokens``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ingate_mock.billing import reasoning_tokens
from ingate_mock.faults import openai_error
from ingate_mock.reply import FunctionTool, Reply, ToolRequest, ToolSpec, plan_reply
from ingate_mock.text import count_texts, new_id, text_of, unix_now
from ingate_mock.thinking import Thought, think
from ingate_mock.wire import Request, sse_data

SYSTEM_FINGERPRINT = "fp_6c2f3b1a9e"
_DONE = b"data: [DONE]\n\n"
_MAX_N = 128
_JSON_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"reply": {"type": "string"}},
}


class _Message(msgspec.Struct):
    role: str
    content: str | list[dict[str, Any]] | None = None


class _StreamOptions(msgspec.Struct):
    include_usage: bool | None = None


class _JsonSchema(msgspec.Struct):
    name: str = ""
    schema: dict[str, Any] | None = None


class _ResponseFormat(msgspec.Struct):
    type: str
    json_schema: _JsonSchema | None = None


class ChatRequest(msgspec.Struct):
    """The fields of a chat completion request the mock looks at."""

    model: str
    messages: list[_Message]
    stream: bool | None = None
    stream_options: _StreamOptions | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    tools: list[FunctionTool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: _ResponseFormat | None = None
    reasoning_effort: str | None = None


_decode = msgspec.json.Decoder(ChatRequest).decode


async def chat_completions(req: Request) -> None:
    body = _decode(req.body)
    if not body.messages:
        await _bad(req, "[] is too short - 'messages'", "messages")
        return
    n = 1 if body.n is None else body.n
    if not 1 <= n <= _MAX_N:
        await _bad(req, f"{n} is not in [1, {_MAX_N}] - 'n'", "n")
        return
    reply = plan(body, req.controls.reply_tokens)
    texts = [text_of(m.content) for m in body.messages]
    answer_tokens = reply.output_tokens * n
    thought: Thought | None = None
    reasoning = reasoning_tokens(body.model, answer_tokens)
    if body.reasoning_effort not in (None, "none"):
        prompt, tool_result = _turn(body.messages)
        thought = think(prompt, reply, tool_result)
        reasoning = thought.tokens * n
    billed = usage(
        count_texts(texts),
        answer_tokens,
        cached=req.prompt_cache.automatic(texts).read,
        reasoning=reasoning,
    )
    if body.stream:
        await _stream(req, body, reply, thought, billed, n)
        return
    choices = [
        {
            "index": i,
            "message": _message(reply, thought),
            "logprobs": None,
            "finish_reason": finish_reason(reply),
        }
        for i in range(n)
    ]
    await req.json(
        {
            "id": new_id("chatcmpl-", 29),
            "object": "chat.completion",
            "created": unix_now(),
            "model": body.model,
            "choices": choices,
            "usage": billed,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
    )


def _turn(messages: list[_Message]) -> tuple[str, str | None]:
    """The last user text, and the tool messages that end the conversation (None if none)."""
    tool_result: str | None = None
    if messages[-1].role == "tool":
        trailing: list[str] = []
        for message in reversed(messages):
            if message.role != "tool":
                break
            trailing.append(text_of(message.content))
        tool_result = " ".join(reversed(trailing))
    prompt = ""
    for message in reversed(messages):
        if message.role == "user":
            prompt = text_of(message.content)
            break
    return prompt, tool_result


def plan(body: ChatRequest, reply_tokens: int) -> Reply:
    """Turn the request's conversation into the mock's planned answer."""
    last = body.messages[-1]
    prompt, tool_result = _turn(body.messages)
    tools: ToolRequest | None = None
    if body.tools and last.role == "user":
        mode, forced = _tool_choice(body.tool_choice)
        if mode != "none":
            specs = [ToolSpec(t.function.name, t.function.parameters) for t in body.tools if t.function]
            tools = ToolRequest(specs, forced, body.parallel_tool_calls is not False)
    schema: dict[str, Any] | None = None
    fmt = body.response_format
    if fmt is not None and fmt.type == "json_schema" and fmt.json_schema is not None:
        schema = fmt.json_schema.schema or {}
    elif fmt is not None and fmt.type == "json_object":
        schema = _JSON_OBJECT_SCHEMA
    limit = body.max_completion_tokens
    if limit is None:
        limit = body.max_tokens
    return plan_reply(
        model=body.model,
        prompt=prompt,
        reply_tokens=reply_tokens,
        max_tokens=limit,
        tool_result=tool_result,
        tools=tools,
        json_schema=schema,
    )


def finish_reason(reply: Reply) -> str:
    if reply.tool_calls:
        return "tool_calls"
    return "length" if reply.truncated else "stop"


def usage(prompt_tokens: int, answer_tokens: int, *, cached: int, reasoning: int) -> dict[str, Any]:
    """Chat's usage object; its completion tokens include the reasoning."""
    completion_tokens = answer_tokens + reasoning
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_choice(choice: str | dict[str, Any] | None) -> tuple[str, str | None]:
    if choice is None or isinstance(choice, str):
        return (choice or "auto"), None
    function = choice.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return "function", function["name"]
    return "auto", None


def _message(reply: Reply, thought: Thought | None) -> dict[str, Any]:
    reasoning = {} if thought is None else {"reasoning_content": thought.text}
    if not reply.tool_calls:
        return {"role": "assistant", "content": reply.text, **reasoning, "refusal": None, "annotations": []}
    calls = [
        {
            "id": new_id("call_"),
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json},
        }
        for call in reply.tool_calls
    ]
    return {
        "role": "assistant",
        "content": None,
        **reasoning,
        "tool_calls": calls,
        "refusal": None,
        "annotations": [],
    }


async def _stream(
    req: Request, body: ChatRequest, reply: Reply, thought: Thought | None, billed: dict[str, Any], n: int
) -> None:
    asked = bool(body.stream_options and body.stream_options.include_usage)
    include_usage = asked and not req.controls.omit_usage
    chunk: dict[str, Any] = {
        "id": new_id("chatcmpl-", 29),
        "object": "chat.completion.chunk",
        "created": unix_now(),
        "model": body.model,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [],
    }
    if include_usage:
        chunk["usage"] = None

    def frame(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk["choices"] = [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]
        return sse_data(chunk)

    stream = req.stream()
    await stream.open()
    for i in range(n):
        for position, piece in enumerate(thought.pieces if thought else []):
            reasoning_delta: dict[str, Any] = {"reasoning_content": piece}
            if position == 0:  # the role comes with the first delta
                reasoning_delta = {"role": "assistant", "content": None, **reasoning_delta}
            await stream.token(frame(i, reasoning_delta))
        if reply.tool_calls:
            for position, call in enumerate(reply.tool_calls):
                start = {
                    "index": position,
                    "id": new_id("call_"),
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                delta: dict[str, Any] = {"tool_calls": [start]}
                if position == 0:
                    delta = {"role": "assistant", "content": None, **delta, "refusal": None}
                await stream.event(frame(i, delta))
                for piece in call.fragments:
                    fragment = {"index": position, "function": {"arguments": piece}}
                    await stream.token(frame(i, {"tool_calls": [fragment]}))
        else:
            await stream.event(frame(i, {"role": "assistant", "content": "", "refusal": None}))
            for piece in reply.pieces:
                await stream.token(frame(i, {"content": piece}))
        await stream.event(frame(i, {}, finish_reason(reply)))
    if include_usage:
        chunk["choices"] = []
        chunk["usage"] = billed
        await stream.event(sse_data(chunk))
    await stream.event(_DONE)
    await stream.close()


async def _bad(req: Request, message: str, param: str) -> None:
    await req.json(openai_error(message, "invalid_request_error", param=param), 400)
