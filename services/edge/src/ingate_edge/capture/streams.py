"""A streamed answer kept as the one message it adds up to, in the caller's dialect.

SSE streams go through the translation library's `StreamAssembly` (the provider shape's
stream reader, folded, then the caller shape's non-stream writer), fed the events the edge's
taps frame anyway. Ollama's native NDJSON has no stream reader there: its lines are merged
here into the single object a non-streaming call returns. A stream neither can read is kept
as its events' data, up to the cap.
"""

from typing import Any

import msgspec

from ingate_providers import Shape
from ingate_translate import StreamAssembly, ir


class SseCapture:
    """SSE events in `backend` shape, kept as a `client`-shape answer."""

    __slots__ = ("_assembly", "_limit", "_raw", "_size")

    def __init__(self, backend: Shape | None, client: Shape | None, limit: int) -> None:
        self._assembly = (
            StreamAssembly(backend, client)
            if backend is not None and client is not None and StreamAssembly.supports(backend, client)
            else None
        )
        self._limit = limit  # raw data kept beyond this is cut anyway
        self._raw: list[str] = []
        self._size = 0

    def feed(self, events: list[tuple[str, str]]) -> None:
        if self._assembly is not None:
            self._assembly.feed(events)
            return
        for _, data in events:
            if self._size <= self._limit:
                self._raw.append(data)
                self._size += len(data) + 1

    def finish(self, context: ir.Context) -> str:
        if self._assembly is not None:
            return self._assembly.finish(context)
        return "\n".join(self._raw)


_TEXT_FIELDS = ("content", "thinking")  # in `message` (chat) or at the top (generate: "response" too)


class NdjsonCapture:
    """Ollama's NDJSON lines merged: the last (`"done": true`) line with every line's text and
    tool calls, as a non-streaming call answers."""

    __slots__ = ("_calls", "_last", "_message_text", "_top_text", "_unreadable")

    def __init__(self) -> None:
        self._last: dict[str, Any] | None = None
        self._message_text: dict[str, list[str]] = {}
        self._top_text: dict[str, list[str]] = {}
        self._calls: list[Any] = []
        self._unreadable: list[str] = []

    def line(self, raw: bytes) -> None:
        try:
            item = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            self._unreadable.append(raw.decode("utf-8", "replace"))
            return
        if not isinstance(item, dict):
            return
        message = item.get("message")
        if isinstance(message, dict):
            _collect(message, _TEXT_FIELDS, self._message_text)
            calls = message.get("tool_calls")
            if isinstance(calls, list):
                self._calls.extend(calls)
        _collect(item, ("response", *_TEXT_FIELDS), self._top_text)
        self._last = item

    def finish(self, context: ir.Context) -> str:
        del context  # Ollama's lines carry their own model and times
        if self._last is None:
            return "\n".join(self._unreadable)
        merged = {**self._last, **{name: "".join(parts) for name, parts in self._top_text.items()}}
        if self._message_text or self._calls:
            message = dict(merged.get("message") or {})
            message.update({name: "".join(parts) for name, parts in self._message_text.items()})
            if self._calls:
                message["tool_calls"] = self._calls
            merged["message"] = message
        return msgspec.json.encode(merged).decode()


def _collect(source: dict[str, Any], fields: tuple[str, ...], into: dict[str, list[str]]) -> None:
    for name in fields:
        value = source.get(name)
        if isinstance(value, str):
            into.setdefault(name, []).append(value)


StreamCapture = SseCapture | NdjsonCapture
