"""A stream's events folded into the one answer they add up to, e.g. to log a stream as the
final message a non-streaming call would have returned.

`Assembly` folds IR events (`ir.py`) into an `ir.Response`; `StreamAssembly` reads a
provider's SSE events with its shape's backend codec, folds them, and writes the result with
the caller's shape's non-stream writer. Pure: no I/O, no logging.
"""

from collections.abc import Iterable

import msgspec

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import SseEvent
from ingate_translate.registry import BACKEND_CODECS, CLIENT_CODECS

_USAGE_FIELDS = tuple(field.name for field in msgspec.structs.fields(ir.Usage))


class Assembly:
    """IR stream events in, the answer they describe out (`response()`), at any point."""

    __slots__ = ("_arguments", "_parts", "_response")

    def __init__(self) -> None:
        self._response = ir.Response(id="", model="")
        self._parts: dict[int, ir.Part] = {}  # by the stream's index, in the order they started
        self._arguments: dict[int, list[str]] = {}  # a tool call's JSON text, as it came

    def add(self, events: Iterable[ir.Event]) -> None:
        for event in events:
            if isinstance(event, ir.PartDelta):  # the most frequent, first
                self._delta(event)
            elif isinstance(event, ir.Start):
                self._response.id, self._response.model = event.id, event.model
                if event.usage is not None:
                    _merge_usage(self._response.usage, event.usage)
            elif isinstance(event, ir.PartStart):
                # A copy: the reader's part is its own, and deltas are added to ours.
                self._parts[event.index] = msgspec.structs.replace(event.part)
            elif isinstance(event, ir.PartStop):
                self._close(event.index)
            elif isinstance(event, ir.Finish):
                self._response.stop, self._response.stop_sequence = event.stop, event.stop_sequence
                if event.usage is not None:
                    _merge_usage(self._response.usage, event.usage)
            # A Failure adds nothing to the answer: what came before it is what was answered.

    def response(self) -> ir.Response:
        for index in list(self._arguments):  # tool calls a broken stream left open
            self._close(index)
        return msgspec.structs.replace(self._response, parts=list(self._parts.values()))

    def text(self) -> str:
        """The answer's text alone: what is left to show when it cannot be written whole."""
        return "".join(part.text for part in self._parts.values() if isinstance(part, ir.Text))

    def _delta(self, event: ir.PartDelta) -> None:
        part = self._parts.get(event.index)
        if part is None:  # a delta without its start: keep its text rather than lose it
            part = self._parts[event.index] = ir.Thinking() if event.thinking else ir.Text(text="")
        if isinstance(part, ir.Text):
            part.text += event.text
        elif isinstance(part, ir.Thinking):
            part.text += event.thinking
            part.signature += event.signature
        elif isinstance(part, ir.ToolCall):
            if event.arguments:
                self._arguments.setdefault(event.index, []).append(event.arguments)
            part.signature += event.signature

    def _close(self, index: int) -> None:
        pieces = self._arguments.pop(index, None)
        part = self._parts.get(index)
        if pieces is None or not isinstance(part, ir.ToolCall):
            return
        text = "".join(pieces)
        try:
            arguments = msgspec.json.decode(text)
        except msgspec.DecodeError:
            arguments = None
        # Arguments that are not a JSON object (a stream cut mid-call) are kept as their text.
        part.arguments = arguments if isinstance(arguments, dict) else {"_unparsed": text}


def _merge_usage(into: ir.Usage, update: ir.Usage) -> None:
    """Counts reported later win; a count a later event leaves at 0 keeps the earlier one
    (Anthropic reports input at the start and output at the end)."""
    for name in _USAGE_FIELDS:
        value = getattr(update, name)
        if value:
            setattr(into, name, value)


class StreamAssembly:
    """A provider's stream (SSE events in `backend` shape) as the caller's (`client` shape)
    non-stream answer."""

    __slots__ = ("_backend", "_client", "_state", "assembly", "broken")

    def __init__(self, backend: Shape, client: Shape) -> None:
        self._backend = BACKEND_CODECS[backend]
        self._client = CLIENT_CODECS[client]
        self._state = b""
        self.assembly = Assembly()
        self.broken = False  # the reader failed on an event: what came before is kept

    @staticmethod
    def supports(backend: Shape | None, client: Shape | None) -> bool:
        return backend in BACKEND_CODECS and client in CLIENT_CODECS

    def feed(self, events: list[tuple[str, str]], final: bool = False) -> None:
        if self.broken:
            return
        try:
            batch = [SseEvent(name, data) for name, data in events]
            self._state, decoded = self._backend.read_stream(self._state, batch, final)
        except Exception:  # any reader failure: this is a copy for the log, never the answer
            self.broken = True
            return
        self.assembly.add(decoded)

    def finish(self, context: ir.Context) -> str:
        """The assembled answer as the caller's JSON (`context`: what the caller asked, its
        model and the creation time); only its text when it cannot be written."""
        self.feed([], final=True)
        try:
            whole = msgspec.structs.replace(context, stream=False)
            return self._client.write_response(self.assembly.response(), whole).decode()
        except Exception:  # e.g. a stream that broke before its start: nothing to write it from
            return self.assembly.text()


__all__ = ["Assembly", "StreamAssembly"]
