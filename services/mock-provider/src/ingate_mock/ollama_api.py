"""Ollama ``/api/chat``, ``/api/generate`` (NDJSON by default), ``/api/embed``,
``/api/embeddings``, ``/api/tags`` and ``/api/version`` (``/api/show`` and ``/api/ps``
are in ``ollama_models``)."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from ingate_mock.catalog import ollama_tags
from ingate_mock.reply import FunctionTool, Reply, ToolRequest, ToolSpec, plan_reply
from ingate_mock.text import count_texts, rfc3339_now
from ingate_mock.vectors import DEFAULT_DIMENSIONS, embed
from ingate_mock.wire import NDJSON, Request, ndjson

VERSION = "0.11.4"
_LOAD_NS = 1_000_000
_PROMPT_TOKEN_NS = 100_000
_EVAL_TOKEN_NS = 1_000_000


class _Message(msgspec.Struct):
    role: str
    content: str | None = None


class ChatRequest(msgspec.Struct):
    model: str
    messages: list[_Message] | None = None
    stream: bool | None = None
    tools: list[FunctionTool] | None = None
    options: dict[str, Any] | None = None
    format: str | dict[str, Any] | None = None


class GenerateRequest(msgspec.Struct):
    model: str
    prompt: str | None = None
    system: str | None = None
    stream: bool | None = None
    options: dict[str, Any] | None = None
    format: str | dict[str, Any] | None = None


class EmbedRequest(msgspec.Struct):
    model: str
    input: str | list[str] = ""
    dimensions: int | None = None


class EmbeddingsRequest(msgspec.Struct):
    model: str
    prompt: str = ""


_decode_chat = msgspec.json.Decoder(ChatRequest).decode
_decode_generate = msgspec.json.Decoder(GenerateRequest).decode
_decode_embed = msgspec.json.Decoder(EmbedRequest).decode
_decode_embeddings = msgspec.json.Decoder(EmbeddingsRequest).decode


def _limit(options: dict[str, Any] | None) -> int | None:
    value = (options or {}).get("num_predict")
    return value if isinstance(value, int) and value >= 0 else None


def _schema(fmt: str | dict[str, Any] | None) -> dict[str, Any] | None:
    if isinstance(fmt, dict):
        return fmt
    return {"type": "object"} if fmt == "json" else None


def _stats(started: int, prompt_tokens: int, eval_tokens: int) -> dict[str, Any]:
    prompt_ns = prompt_tokens * _PROMPT_TOKEN_NS
    eval_ns = eval_tokens * _EVAL_TOKEN_NS
    total = max(time.monotonic_ns() - started, _LOAD_NS + prompt_ns + eval_ns)
    return {
        "total_duration": total,
        "load_duration": _LOAD_NS,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": eval_tokens,
        "eval_duration": eval_ns,
    }


def _final_stats(req: Request, started: int, prompt_tokens: int, eval_tokens: int) -> dict[str, Any]:
    """A stream's final timings and counts; without the counts when usage is to be omitted."""
    stats = _stats(started, prompt_tokens, eval_tokens)
    if req.controls.omit_usage:
        del stats["prompt_eval_count"], stats["eval_count"]
    return stats


def _done_reason(reply: Reply) -> str:
    return "length" if reply.truncated else "stop"


async def chat(req: Request) -> None:
    started = time.monotonic_ns()
    body = _decode_chat(req.body)
    messages = body.messages or []
    if not messages:
        await req.json(_loaded(body.model, {"message": {"role": "assistant", "content": ""}}))
        return
    reply = _plan_chat(body, messages, req.controls.reply_tokens)
    prompt_tokens = count_texts(m.content or "" for m in messages)
    calls = [{"function": {"name": c.name, "arguments": c.arguments}} for c in reply.tool_calls]
    if body.stream is False:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if calls:
            message["tool_calls"] = calls
        head = {"model": body.model, "created_at": rfc3339_now(), "message": message}
        tail = {"done_reason": _done_reason(reply), "done": True}
        await req.json({**head, **tail, **_stats(started, prompt_tokens, reply.output_tokens)})
        return
    stream = req.stream(NDJSON)
    await stream.open()
    if calls:
        message = {"role": "assistant", "content": "", "tool_calls": calls}
        line = {"model": body.model, "created_at": rfc3339_now(), "message": message, "done": False}
        await stream.token(ndjson(line))
    for piece in reply.pieces:
        message = {"role": "assistant", "content": piece}
        line = {"model": body.model, "created_at": rfc3339_now(), "message": message, "done": False}
        await stream.token(ndjson(line))
    final = {
        "model": body.model,
        "created_at": rfc3339_now(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": _done_reason(reply),
        "done": True,
        **_final_stats(req, started, prompt_tokens, reply.output_tokens),
    }
    await stream.event(ndjson(final))
    await stream.close()


def _plan_chat(body: ChatRequest, messages: list[_Message], reply_tokens: int) -> Reply:
    last = messages[-1]
    tool_result: str | None = None
    if last.role == "tool":
        trailing: list[str] = []
        for message in reversed(messages):
            if message.role != "tool":
                break
            trailing.append(message.content or "")
        tool_result = " ".join(reversed(trailing))
    prompt = ""
    for message in reversed(messages):
        if message.role == "user":
            prompt = message.content or ""
            break
    tools: ToolRequest | None = None
    if body.tools and last.role == "user":
        specs = [ToolSpec(t.function.name, t.function.parameters) for t in body.tools if t.function]
        tools = ToolRequest(specs)
    return plan_reply(
        model=body.model,
        prompt=prompt,
        reply_tokens=reply_tokens,
        max_tokens=_limit(body.options),
        tool_result=tool_result,
        tools=tools,
        json_schema=_schema(body.format),
    )


async def generate(req: Request) -> None:
    started = time.monotonic_ns()
    body = _decode_generate(req.body)
    prompt = body.prompt or ""
    if not prompt:
        await req.json(_loaded(body.model, {"response": ""}))
        return
    reply = plan_reply(
        model=body.model,
        prompt=prompt,
        reply_tokens=req.controls.reply_tokens,
        max_tokens=_limit(body.options),
        json_schema=_schema(body.format),
    )
    prompt_tokens = count_texts([body.system or "", prompt])
    if body.stream is False:
        head = {"model": body.model, "created_at": rfc3339_now(), "response": reply.text}
        tail = {"done": True, "done_reason": _done_reason(reply)}
        await req.json({**head, **tail, **_stats(started, prompt_tokens, reply.output_tokens)})
        return
    stream = req.stream(NDJSON)
    await stream.open()
    for piece in reply.pieces:
        line = {"model": body.model, "created_at": rfc3339_now(), "response": piece, "done": False}
        await stream.token(ndjson(line))
    final = {
        "model": body.model,
        "created_at": rfc3339_now(),
        "response": "",
        "done": True,
        "done_reason": _done_reason(reply),
        **_final_stats(req, started, prompt_tokens, reply.output_tokens),
    }
    await stream.event(ndjson(final))
    await stream.close()


def _loaded(model: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What Ollama answers to an empty prompt: the model was (pre)loaded."""
    return {
        "model": model,
        "created_at": rfc3339_now(),
        **payload,
        "done_reason": "load",
        "done": True,
    }


async def embed_route(req: Request) -> None:
    started = time.monotonic_ns()
    body = _decode_embed(req.body)
    inputs = [body.input] if isinstance(body.input, str) else body.input
    dims = body.dimensions or DEFAULT_DIMENSIONS
    tokens = count_texts(inputs)
    stats = _stats(started, tokens, 0)
    await req.json(
        {
            "model": body.model,
            "embeddings": [embed(text, dims) for text in inputs],
            "total_duration": stats["total_duration"],
            "load_duration": stats["load_duration"],
            "prompt_eval_count": tokens,
        }
    )


async def embeddings_route(req: Request) -> None:
    body = _decode_embeddings(req.body)
    await req.json({"embedding": embed(body.prompt, DEFAULT_DIMENSIONS)})


async def tags(req: Request) -> None:
    await req.json(ollama_tags())


async def version(req: Request) -> None:
    await req.json({"version": VERSION})
