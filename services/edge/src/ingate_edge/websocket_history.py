"""What `previous_response_id` means on a Responses WebSocket the edge bridges to HTTP.

OpenAI's WebSocket mode keeps a connection's recent responses in memory, so a follow-up
`response.create` may carry only its new input items and `previous_response_id`, even with
`store: false` (nothing kept server-side). The edge reaches providers over their HTTP
endpoint, so it keeps that state itself, per connection: for each of the last
`REMEMBERED` responses, the input items it was made from and the output items it produced
(lists of references to the same item objects, so a long chain costs one copy of each item,
not one per turn). A create naming one of them is sent as the whole conversation (those
items, then its own), without `previous_response_id`, which is how Codex sends a turn over
HTTP; one naming any other response passes on unchanged (the provider may have it stored).
Several remembered responses let a client fork a chain or run lanes (`stream_id`). As the
API documents for `previous_response_id`, the earlier `instructions` are not carried over.

Replayed output items lose their `id`: with `store: false` the provider answers 404 to an
item id it never stored, and the item's content (and a reasoning item's encrypted_content)
is what continues the turn.

A warmup (`generate: false`) asks the model nothing: the edge answers it with a response of
its own id and no output, remembered like any other, so the next turn can chain from it.
"""

import random
import time
from typing import Any, Final

import msgspec

REMEMBERED: Final = 16


class FinishedResponse(msgspec.Struct):
    id: str = ""
    output: list[dict[str, Any]] = msgspec.field(default_factory=list)


class FinishedEvent(msgspec.Struct):
    """`response.completed` or `response.incomplete`: the response, its output included."""

    response: FinishedResponse = msgspec.field(default_factory=FinishedResponse)


decode_finished = msgspec.json.Decoder(FinishedEvent).decode


class History:
    """The connection's recent responses: by id, the items a follow-up continues."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[str, list[Any]] = {}  # oldest first

    def expand(self, body: dict[str, Any]) -> None:
        """`body` as the whole conversation when it continues a remembered response."""
        previous = body.get("previous_response_id")
        items = self._items.get(previous) if isinstance(previous, str) else None
        if items is None:
            return
        del body["previous_response_id"]
        body["input"] = [*items, *input_items(body.get("input"))]

    def remember(self, response_id: str, sent: list[Any], output: list[dict[str, Any]]) -> None:
        self._items[response_id] = [*sent, *({k: v for k, v in item.items() if k != "id"} for item in output)]
        if len(self._items) > REMEMBERED:
            del self._items[next(iter(self._items))]


def input_items(value: Any) -> list[Any]:
    """A request's `input` as a list of items (a string is one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return list(value) if isinstance(value, list) else [value]


def warmup_response(body: dict[str, Any]) -> dict[str, Any]:
    """The response a warmup gets: completed at once, no output, no tokens used."""
    return {
        "id": f"resp_{random.getrandbits(96):024x}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "model": body.get("model", ""),
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "metadata": body.get("metadata") or {},
        "usage": {
            "input_tokens": 0,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 0,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 0,
        },
    }
