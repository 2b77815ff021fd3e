"""Google's Gemini API under ``/v1beta`` and ``/v1``: ``models/{model}:generateContent``,
``:streamGenerateContent``, ``:countTokens``, and the model list and lookup.

A stream asked for with ``?alt=sse`` is SSE (``data: <GenerateContentResponse>`` events,
CRLF-framed as Google sends them); without it the responses come as one JSON array, written
as they are made. Every response of a stream carries ``usageMetadata`` with the prompt's
count; the last, whose candidate has a ``finishReason``, the final counts. What the mock
reads from a request (turns, tools, thinking, signatures, tokens) is ``gemini_turns``'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from ingate_mock.faults import gemini_error
from ingate_mock.gemini_turns import (
    IMAGE_TOKENS,
    GenerateRequest,
    bad_signature,
    call_signature_text,
    decode_count,
    decode_generate,
    plan,
    prompt_tokens,
    thinking,
    thought_for,
)
from ingate_mock.reply import Reply
from ingate_mock.signatures import sign
from ingate_mock.text import count_texts, new_id
from ingate_mock.wire import SSE, EventStream, Request, encode

Handler = Callable[[Request], Awaitable[None]]

# name, display name, input and output token limits, methods, whether it thinks
_MODELS: tuple[tuple[str, str, int, int, tuple[str, ...], bool], ...] = (
    ("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 65536, ("generateContent", "countTokens"), True),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, 65536, ("generateContent", "countTokens"), True),
    ("gemini-2.0-flash", "Gemini 2.0 Flash", 1048576, 8192, ("generateContent", "countTokens"), False),
    ("gemini-embedding-001", "Gemini Embedding 001", 2048, 1, ("embedContent", "countTokens"), False),
)
_JSON_ARRAY = b"application/json; charset=UTF-8"
_PREFIXES = ("/v1beta/models", "/v1/models")
_SIGNATURE_INVALID = "Unable to submit request because Thought signature is not valid."


def claims(path: str, headers: Mapping[str, str]) -> bool:
    """Whether `path` is Gemini's: anything under /v1beta; under /v1, a model's custom method,
    or the model paths themselves when a Google client asks (OpenAI's share them)."""
    if path.startswith("/v1beta/"):
        return True
    if not path.startswith("/v1/models"):
        return False
    google = "x-goog-api-key" in headers or "x-goog-api-client" in headers
    return google or path.rpartition(":")[2] in _METHODS


def handlers(path: str) -> Mapping[str, Handler] | None:
    """The handlers of a Gemini path by HTTP method, or None for a path the API lacks."""
    for prefix in _PREFIXES:
        if path == prefix:
            return {"GET": list_models}
        rest = path.removeprefix(prefix + "/")
        if rest == path or not rest or "/" in rest:
            continue
        model, colon, method = rest.partition(":")
        if not colon:
            return {"GET": get_model}
        handler = _METHODS.get(method)
        return {"POST": handler} if handler is not None and model else None
    return None


def _model_of(path: str) -> str:
    return path.rpartition("/models/")[2].partition(":")[0]


async def generate_content(req: Request) -> None:
    await _answer(req, stream=False)


async def stream_generate_content(req: Request) -> None:
    await _answer(req, stream=True)


async def count_tokens(req: Request) -> None:
    body = decode_count(req.body)
    inner = body.generate_content_request
    contents = body.contents if body.contents is not None else (inner.contents if inner else [])
    total, images, _ = prompt_tokens(inner.system_instruction if inner else None, contents)
    await req.json({"totalTokens": total, "promptTokensDetails": _details(total, images)})


async def list_models(req: Request) -> None:
    await req.json({"models": [_entry(*m) for m in _MODELS]})


async def get_model(req: Request) -> None:
    model = _model_of(req.path)
    for entry in _MODELS:
        if entry[0] == model:
            await req.json(_entry(*entry))
            return
    version = req.path.split("/")[1]
    await req.json(gemini_error(404, f"models/{model} is not found for API version {version}."), 404)


def _entry(
    name: str, display: str, limit_in: int, limit_out: int, methods: tuple[str, ...], thinks: bool
) -> dict[str, Any]:
    return {
        "name": f"models/{name}",
        "version": "001",
        "displayName": display,
        "description": f"Mock of {display}",
        "inputTokenLimit": limit_in,
        "outputTokenLimit": limit_out,
        "supportedGenerationMethods": list(methods),
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": thinks,
    }


async def _answer(req: Request, stream: bool) -> None:
    body = decode_generate(req.body)
    if not body.contents:
        await _invalid(req, "* GenerateContentRequest.contents: contents is not specified\n")
        return
    signed_wrong = bad_signature(body.contents)
    if signed_wrong is not None:
        await _invalid(req, f"{_SIGNATURE_INVALID} ({signed_wrong})")
        return
    model = _model_of(req.path)
    reply, prompt = plan(body, model, req.controls.reply_tokens)
    total, images, texts = prompt_tokens(body.system_instruction, body.contents)
    cached = req.prompt_cache.automatic(texts).read  # Gemini's implicit caching
    answer = _Answer(body, model, reply, prompt, (total, images, cached))
    if not stream:
        await req.json(answer.response(answer.parts(), final=True))
        return
    sse = "sse" in parse_qs(req.query).get("alt", ())
    events = _SseEvents(req.stream(SSE)) if sse else _ArrayEvents(req.stream(_JSON_ARRAY))
    await events.open()
    omit = req.controls.omit_usage
    chunks = answer.chunks()
    for index, parts in enumerate(chunks):
        response = answer.response(parts, final=index == len(chunks) - 1)
        if omit:
            del response["usageMetadata"]
        await events.send(response, token=bool(index))
    await events.close()


class _Answer:
    """One answer: its parts whole or as a stream's chunks, and the responses carrying them."""

    def __init__(
        self, body: GenerateRequest, model: str, reply: Reply, prompt: str, counts: tuple[int, int, int]
    ) -> None:
        self.model = model
        self.reply = reply
        thinks, self.shows_thought = thinking(body)
        self.thought = thought_for(prompt) if thinks else ""
        self.response_id = new_id("", 22)
        self.prompt, self.images, self.cached = counts  # prompt tokens, the images' share, cached

    def parts(self) -> list[dict[str, Any]]:
        return [*self._thought_part(), *self._signed(self._calls() or [{"text": self.reply.text}])]

    def chunks(self) -> list[list[dict[str, Any]]]:
        """The parts as a stream delivers them: the thought, then one piece of text (or all
        the calls) per response."""
        calls = self._calls()
        if calls:
            answer = [self._signed(calls)]
        else:
            pieces = self.reply.pieces or [""]
            answer = [self._signed([{"text": pieces[0]}]), *([{"text": p}] for p in pieces[1:])]
        return [[part] for part in self._thought_part()] + answer

    def response(self, parts: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if final:
            candidate["finishReason"] = "MAX_TOKENS" if self.reply.truncated else "STOP"
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": self._usage(final),
            "modelVersion": self.model,
            "responseId": self.response_id,
        }

    def _thought_part(self) -> list[dict[str, Any]]:
        return [{"text": self.thought, "thought": True}] if self.thought and self.shows_thought else []

    def _calls(self) -> list[dict[str, Any]]:
        return [{"functionCall": {"name": c.name, "args": c.arguments}} for c in self.reply.tool_calls]

    def _signed(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`parts` with the signature of the thinking on the first one, when the model thought."""
        if self.thought and parts:
            first = parts[0]
            call = first.get("functionCall")
            signed = call_signature_text(call["name"], call["args"]) if call else first.get("text", "")
            first["thoughtSignature"] = sign(signed)
        return parts

    def _usage(self, final: bool) -> dict[str, Any]:
        thoughts = count_texts([self.thought])
        usage: dict[str, Any] = {"promptTokenCount": self.prompt}
        candidates = self.reply.output_tokens if final else 0
        if final:
            usage["candidatesTokenCount"] = candidates
        usage["totalTokenCount"] = self.prompt + candidates + thoughts
        if self.cached:
            usage["cachedContentTokenCount"] = self.cached
        usage["promptTokensDetails"] = _details(self.prompt, self.images)
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        return usage


def _details(total: int, images: int) -> list[dict[str, Any]]:
    details = [{"modality": "TEXT", "tokenCount": total - images}]
    if images:
        details.append({"modality": "IMAGE", "tokenCount": images})
    return details


class _SseEvents:
    """``alt=sse``: each response one event, framed with CRLFs as Google frames them."""

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    async def open(self) -> None:
        await self._stream.open()

    async def send(self, response: dict[str, Any], token: bool) -> None:
        data = b"data: " + encode(response) + b"\r\n\r\n"
        await (self._stream.token(data) if token else self._stream.event(data))

    async def close(self) -> None:
        await self._stream.close()


class _ArrayEvents(_SseEvents):
    """No ``alt``: one JSON array of the responses, each written as it is made."""

    def __init__(self, stream: EventStream) -> None:
        super().__init__(stream)
        self._opened = False

    async def send(self, response: dict[str, Any], token: bool) -> None:
        data = (b",\r\n" if self._opened else b"[") + encode(response)
        self._opened = True
        await (self._stream.token(data) if token else self._stream.event(data))

    async def close(self) -> None:
        await self._stream.event(b"]" if self._opened else b"[]")
        await self._stream.close()


async def _invalid(req: Request, message: str) -> None:
    await req.json(gemini_error(400, message), 400)


_METHODS: dict[str, Handler] = {
    "generateContent": generate_content,
    "streamGenerateContent": stream_generate_content,
    "countTokens": count_tokens,
}
__all__ = ["IMAGE_TOKENS", "claims", "handlers"]
