"""OpenAI ``POST /v1/responses`` (Responses API): JSON and the SSE event sequence.

Reasoning items (``reasoning`` and ``include``) are ``openai_reasoning.py``'s.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ingate_mock import openai_reasoning
from ingate_mock.billing import reasoning_tokens
from ingate_mock.openai_reasoning import ReasoningConfig
from ingate_mock.reply import Reply, ToolCall, ToolRequest, ToolSpec, plan_reply
from ingate_mock.text import as_pieces, count_texts, new_hex_id, new_id, text_of, unix_now
from ingate_mock.thinking import think
from ingate_mock.wire import EventStream, Request, sse_event


class ResponsesRequest(msgspec.Struct):
    """The fields of a Responses API request the mock looks at or echoes."""

    model: str
    input: str | list[dict[str, Any]] = ""
    instructions: str | None = None
    stream: bool | None = None
    max_output_tokens: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    store: bool | None = None
    metadata: dict[str, Any] | None = None
    previous_response_id: str | None = None
    text: dict[str, Any] | None = None
    reasoning: ReasoningConfig | None = None
    include: list[str] | None = None


_decode = msgspec.json.Decoder(ResponsesRequest).decode


async def responses(req: Request) -> None:
    body = _decode(req.body)
    items = [{"role": "user", "content": body.input}] if isinstance(body.input, str) else body.input
    refused = openai_reasoning.input_problem(items, body.store)
    if refused is not None:
        await req.json(refused[1], refused[0])
        return
    prompt_text, tool_result = _turn(items)
    reply = _plan(body, items, req.controls.reply_tokens)
    texts = [text_of(item.get("content")) for item in items]
    texts += [str(item.get("output", "")) for item in items]
    prompt = [body.instructions or "", *texts]
    prompt_tokens = count_texts(prompt)
    output = _output_items(reply)
    reasoning = reasoning_tokens(body.model, reply.output_tokens)
    config = body.reasoning
    if config is not None and openai_reasoning.wanted(config):
        thought = think(prompt_text, reply, tool_result)
        output.insert(0, openai_reasoning.item(thought, config, body.include))
        reasoning = thought.tokens  # what is shown is what was thought
    output_tokens = reply.output_tokens + reasoning  # the reasoning included, as OpenAI bills it
    usage: dict[str, Any] | None = {
        "input_tokens": prompt_tokens,
        "input_tokens_details": {"cached_tokens": req.prompt_cache.automatic(prompt).read},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt_tokens + output_tokens,
    }
    if body.stream and req.controls.omit_usage:
        usage = None
    rid = new_hex_id("resp_")
    created = unix_now()
    status = "incomplete" if reply.truncated else "completed"
    final = _response(body, rid, created, status, output, usage)
    if not body.stream:
        await req.json(final)
        return
    stream = req.stream()
    await stream.open()
    emitter = _Emitter(stream)
    pending = _response(body, rid, created, "in_progress", [], None)
    await emitter.emit("response.created", {"response": pending})
    await emitter.emit("response.in_progress", {"response": pending})
    calls = iter(reply.tool_calls)
    for index, item in enumerate(output):
        if item["type"] == "reasoning":
            await _stream_reasoning(emitter, index, item)
        elif item["type"] == "message":
            await _stream_message(emitter, index, item, reply)
        else:
            await _stream_call(emitter, index, item, next(calls))
    await emitter.emit(f"response.{status}", {"response": final})
    await stream.close()


def _turn(items: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The last user text, and the function outputs that end the input (None if none)."""
    last = items[-1] if items else {}
    tool_result: str | None = None
    if last.get("type") == "function_call_output":
        trailing: list[str] = []
        for item in reversed(items):
            if item.get("type") != "function_call_output":
                break
            trailing.append(str(item.get("output", "")))
        tool_result = " ".join(reversed(trailing))
    prompt = ""
    for item in reversed(items):
        if item.get("role") == "user":
            prompt = text_of(item.get("content"))
            break
    return prompt, tool_result


def _plan(body: ResponsesRequest, items: list[dict[str, Any]], reply_tokens: int) -> Reply:
    last = items[-1] if items else {}
    prompt, tool_result = _turn(items)
    tools: ToolRequest | None = None
    if body.tools and last.get("role") == "user" and body.tool_choice != "none":
        specs = [
            ToolSpec(str(t["name"]), t.get("parameters"))
            for t in body.tools
            if t.get("type") == "function" and isinstance(t.get("name"), str)
        ]
        forced = None
        if isinstance(body.tool_choice, dict) and isinstance(body.tool_choice.get("name"), str):
            forced = body.tool_choice["name"]
        tools = ToolRequest(specs, forced, body.parallel_tool_calls is not False)
    fmt = (body.text or {}).get("format") or {}
    schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
    return plan_reply(
        model=body.model,
        prompt=prompt,
        reply_tokens=reply_tokens,
        max_tokens=body.max_output_tokens,
        tool_result=tool_result,
        tools=tools,
        json_schema=schema if isinstance(schema, dict) else None,
    )


def _output_items(reply: Reply) -> list[dict[str, Any]]:
    if reply.tool_calls:
        return [
            {
                "id": new_hex_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "arguments": call.arguments_json,
                "call_id": new_id("call_"),
                "name": call.name,
            }
            for call in reply.tool_calls
        ]
    return [
        {
            "id": new_hex_id("msg_"),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [_text_part(reply.text)],
        }
    ]


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _response(
    body: ResponsesRequest,
    rid: str,
    created: int,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
) -> dict[str, Any]:
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.instructions,
        "max_output_tokens": body.max_output_tokens,
        "model": body.model,
        "output": output,
        "parallel_tool_calls": body.parallel_tool_calls is not False,
        "previous_response_id": body.previous_response_id,
        "reasoning": {
            "effort": body.reasoning.effort if body.reasoning else None,
            "summary": body.reasoning.summary if body.reasoning else None,
        },
        "service_tier": "default",
        "store": body.store is not False,
        "temperature": 1.0 if body.temperature is None else body.temperature,
        "text": body.text or {"format": {"type": "text"}},
        "tool_choice": body.tool_choice or "auto",
        "tools": body.tools or [],
        "top_p": 1.0 if body.top_p is None else body.top_p,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": body.metadata or {},
    }


class _Emitter:
    """Numbers events (``sequence_number``) and frames them as named SSE events."""

    __slots__ = ("_seq", "stream")

    def __init__(self, stream: EventStream) -> None:
        self.stream = stream
        self._seq = 0

    def _frame(self, name: str, fields: dict[str, Any]) -> bytes:
        payload = {"type": name, "sequence_number": self._seq, **fields}
        self._seq += 1
        return sse_event(name.encode(), payload)

    async def emit(self, name: str, fields: dict[str, Any]) -> None:
        await self.stream.event(self._frame(name, fields))

    async def emit_token(self, name: str, fields: dict[str, Any]) -> None:
        await self.stream.token(self._frame(name, fields))


async def _stream_reasoning(emitter: _Emitter, index: int, item: dict[str, Any]) -> None:
    """A reasoning item: added, its summary part by part (the text in word deltas), done."""
    item_id = item["id"]
    await emitter.emit("response.output_item.added", {"output_index": index, "item": {**item, "summary": []}})
    for summary_index, part in enumerate(item["summary"]):
        where = {"item_id": item_id, "output_index": index, "summary_index": summary_index}
        empty = openai_reasoning.summary_part("")
        await emitter.emit("response.reasoning_summary_part.added", {**where, "part": empty})
        text: str = part["text"]
        for piece in as_pieces(text.split(" ")):
            await emitter.emit_token("response.reasoning_summary_text.delta", {**where, "delta": piece})
        await emitter.emit("response.reasoning_summary_text.done", {**where, "text": text})
        await emitter.emit("response.reasoning_summary_part.done", {**where, "part": part})
    await emitter.emit("response.output_item.done", {"output_index": index, "item": item})


async def _stream_message(emitter: _Emitter, index: int, item: dict[str, Any], reply: Reply) -> None:
    item_id = item["id"]
    where = {"item_id": item_id, "output_index": index, "content_index": 0}
    opening = {**item, "status": "in_progress", "content": []}
    await emitter.emit("response.output_item.added", {"output_index": index, "item": opening})
    await emitter.emit("response.content_part.added", {**where, "part": _text_part("")})
    for piece in reply.pieces:
        await emitter.emit_token("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
    text = reply.text
    await emitter.emit("response.output_text.done", {**where, "text": text, "logprobs": []})
    await emitter.emit("response.content_part.done", {**where, "part": _text_part(text)})
    await emitter.emit("response.output_item.done", {"output_index": index, "item": item})


async def _stream_call(emitter: _Emitter, index: int, item: dict[str, Any], call: ToolCall) -> None:
    where = {"item_id": item["id"], "output_index": index}
    opening = {**item, "status": "in_progress", "arguments": ""}
    await emitter.emit("response.output_item.added", {"output_index": index, "item": opening})
    for piece in call.fragments:
        await emitter.emit_token("response.function_call_arguments.delta", {**where, "delta": piece})
    await emitter.emit("response.function_call_arguments.done", {**where, "arguments": call.arguments_json})
    await emitter.emit("response.output_item.done", {"output_index": index, "item": item})
