"""The constant answers of the bench upstream, in every provider dialect it speaks.

One reply ("Hello! How can I help you today?", nine tokens) written as each API writes
it: OpenAI chat (a chat.completion, or chat.completion.chunk events), Anthropic messages,
Gemini generateContent (one GenerateContentResponse, or one per token as `alt=sse`
events, CRLF-framed as Google frames them) and OpenAI Responses (a response object, or
its named event sequence). Every stream carries the same nine text deltas. Built once at
import; `bench.upstream` only sends them.
"""

import json
from typing import Any, Final

_MODEL: Final = "gpt-4o-2024-08-06"
_CREATED: Final = 1_700_000_000
_REPLY_TOKENS: Final = ("Hello", "!", " How", " can", " I", " help", " you", " today", "?")
_REPLY: Final = "".join(_REPLY_TOKENS)
_PROMPT_TOKENS: Final = 9
_CLAUDE_MODEL: Final = "claude-sonnet-4-5-20250929"
_GEMINI_MODEL: Final = "gemini-2.5-flash"
MESSAGE_ID: Final = "msg_01Bench000000000000000000"
GEMINI_RESPONSE_ID: Final = "BenchGeminiResponse000"
RESPONSE_ID: Final = "resp_bench000000000000000000000000000000000000000"
TEXT_DELTAS: Final = len(_REPLY_TOKENS)  # in every stream


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# --- OpenAI chat ---------------------------------------------------------------------------


def _usage() -> dict[str, Any]:
    return {
        "prompt_tokens": _PROMPT_TOKENS,
        "completion_tokens": TEXT_DELTAS,
        "total_tokens": _PROMPT_TOKENS + TEXT_DELTAS,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _completion_body() -> bytes:
    return _json(
        {
            "id": "chatcmpl-bench0000000000000000000000",
            "object": "chat.completion",
            "created": _CREATED,
            "model": _MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": _REPLY, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_bench0000",
        }
    )


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: bool = False) -> bytes:
    event: dict[str, Any] = {
        "id": "chatcmpl-bench0000000000000000000000",
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": _MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_bench0000",
        "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        event["usage"] = _usage()
    return b"data: " + _json(event) + b"\n\n"


def _stream_events() -> tuple[bytes, ...]:
    events = [_chunk({"role": "assistant", "content": "", "refusal": None})]
    events.extend(_chunk({"content": token}) for token in _REPLY_TOKENS)
    events.append(_chunk({}, finish="stop"))
    events.append(_chunk({}, usage=True))
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


# --- Anthropic messages --------------------------------------------------------------------


def _anthropic_usage(output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": _PROMPT_TOKENS,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(content: list[dict[str, Any]], stop: str | None, output_tokens: int) -> dict[str, Any]:
    return {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": _CLAUDE_MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _anthropic_usage(output_tokens),
    }


def _named_event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _json({"type": name, **data}) + b"\n\n"


def _message_events() -> tuple[bytes, ...]:
    """Anthropic's event sequence for one text block."""
    events = [
        _named_event("message_start", {"message": _message([], None, 1)}),
        _named_event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        _named_event("ping", {}),
    ]
    events.extend(
        _named_event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": token}})
        for token in _REPLY_TOKENS
    )
    events.append(_named_event("content_block_stop", {"index": 0}))
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    events.append(_named_event("message_delta", {"delta": stop, "usage": {"output_tokens": TEXT_DELTAS}}))
    events.append(_named_event("message_stop", {}))
    return tuple(events)


# --- Gemini generateContent ----------------------------------------------------------------


def _gemini_response(text: str, final: bool) -> dict[str, Any]:
    """One GenerateContentResponse; the last of a stream has the finishReason and the counts."""
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if final:
        candidate["finishReason"] = "STOP"
    candidate["index"] = 0
    usage: dict[str, Any] = {"promptTokenCount": _PROMPT_TOKENS}
    if final:
        usage["candidatesTokenCount"] = TEXT_DELTAS
    usage["totalTokenCount"] = _PROMPT_TOKENS + (TEXT_DELTAS if final else 0)
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": _PROMPT_TOKENS}]
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": _GEMINI_MODEL,
        "responseId": GEMINI_RESPONSE_ID,
    }


def _gemini_events() -> tuple[bytes, ...]:
    last = len(_REPLY_TOKENS) - 1
    return tuple(
        b"data: " + _json(_gemini_response(token, index == last)) + b"\r\n\r\n"
        for index, token in enumerate(_REPLY_TOKENS)
    )


# --- OpenAI Responses ----------------------------------------------------------------------

_OUTPUT_ITEM_ID: Final = "msg_bench00000000000000000000000000000000000000000"


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _response(status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": _CREATED,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": _MODEL,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _responses_usage() -> dict[str, Any]:
    return {
        "input_tokens": _PROMPT_TOKENS,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": TEXT_DELTAS,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": _PROMPT_TOKENS + TEXT_DELTAS,
    }


def _output_item(status: str, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": _OUTPUT_ITEM_ID,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _response_body() -> bytes:
    return _json(
        _response("completed", [_output_item("completed", [_output_text(_REPLY)])], _responses_usage())
    )


def _response_events() -> tuple[bytes, ...]:
    """The Responses API's named events for one message: created … the text deltas … completed."""
    where = {"item_id": _OUTPUT_ITEM_ID, "output_index": 0, "content_index": 0}
    done_item = _output_item("completed", [_output_text(_REPLY)])
    pending = _response("in_progress", [], None)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": pending}),
        ("response.in_progress", {"response": pending}),
        ("response.output_item.added", {"output_index": 0, "item": _output_item("in_progress", [])}),
        ("response.content_part.added", {**where, "part": _output_text("")}),
        *(("response.output_text.delta", {**where, "delta": t, "logprobs": []}) for t in _REPLY_TOKENS),
        ("response.output_text.done", {**where, "text": _REPLY, "logprobs": []}),
        ("response.content_part.done", {**where, "part": _output_text(_REPLY)}),
        ("response.output_item.done", {"output_index": 0, "item": done_item}),
        ("response.completed", {"response": _response("completed", [done_item], _responses_usage())}),
    ]
    return tuple(
        _named_event(name, {"sequence_number": number, **fields})
        for number, (name, fields) in enumerate(steps)
    )


COMPLETION_BODY: Final = _completion_body()
STREAM_EVENTS: Final = _stream_events()
MESSAGE_BODY: Final = _json(_message([{"type": "text", "text": _REPLY}], "end_turn", TEXT_DELTAS))
MESSAGE_EVENTS: Final = _message_events()
GEMINI_BODY: Final = _json(_gemini_response(_REPLY, final=True))
GEMINI_EVENTS: Final = _gemini_events()
RESPONSE_BODY: Final = _response_body()
RESPONSE_EVENTS: Final = _response_events()
