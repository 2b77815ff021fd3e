"""What one shape's codec does: read its wire values into the IR (`ir.py`) and write them back.

A shape's module serves either end of a pair, or both. As the caller's shape
(`ClientCodec`) it reads requests and writes answers, errors and stream events; as the
provider's shape (`BackendCodec`) it writes requests and reads answers, errors and stream
events. A pair (`hub.py`) is a client codec and a backend codec, so adding a shape is one
module and one line in the registry.

Stream state is bytes the codec itself encodes (a msgspec Struct of its own), so any
translator replica can continue any stream: `b""` is the state before the first call.
"""

import dataclasses
from collections.abc import Callable
from typing import Protocol

from ingate_providers import Shape
from ingate_translate import ir
from ingate_translate.base import SseEvent, TranslatedRequest


class ClientCodec(Protocol):
    """A shape as the caller speaks it."""

    @property
    def shape(self) -> Shape: ...

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:
        """The caller's request JSON. Raises TranslationError naming what the IR cannot hold."""
        ...

    def write_response(self, response: ir.Response, context: ir.Context) -> bytes:
        """An answer as the caller's JSON body."""
        ...

    def write_error(self, error: ir.Error) -> tuple[int, bytes]:
        """An error as (status, body) in the envelope the caller's SDK parses."""
        ...

    def write_stream(
        self, state: bytes, context: ir.Context, events: list[ir.Event], final: bool
    ) -> tuple[bytes, bytes]:
        """IR stream events → (new state, the caller's stream bytes: SSE or NDJSON, ready to send).

        `final` marks the end of the provider's stream; a stream that ended without a Finish
        event broke off and is ended the way the caller's SDK reports a broken stream."""
        ...


class BackendCodec(Protocol):
    """A shape as a provider is sent it."""

    @property
    def shape(self) -> Shape: ...

    def write_request(self, request: ir.Request) -> TranslatedRequest:
        """The provider's request. Raises TranslationError naming the parameter the provider
        cannot be sent (a 400 for the caller), never drops one that changes the answer."""
        ...

    def read_response(self, body: bytes) -> ir.Response:
        """The provider's 2xx JSON body. Raises BackendFormatError when it is not in its format."""
        ...

    def read_error(self, status: int, body: bytes) -> ir.Error:
        """The provider's error answer, whatever its body holds."""
        ...

    def read_stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[ir.Event]]:
        """The provider's SSE events → (new state, IR events), in order: Start first, each part
        between its PartStart and PartStop, Finish once at the end of a complete answer.

        Parts never interleave: one is open at a time (a reader whose provider interleaves
        them sequences them, see `blocks`), and Finish closes any still open. A stream that
        breaks off yields no Finish: the client codec reports it broken when `final` comes.
        Indices need not be contiguous; writers number parts their own way."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleClient:
    """A ClientCodec made of a shape module's functions, for a shape whose request body says
    everything (model and streaming), so the path's hints are not needed."""

    shape: Shape
    read_body: Callable[[bytes], ir.Request]
    write_response: Callable[[ir.Response, ir.Context], bytes]
    write_error: Callable[[ir.Error], tuple[int, bytes]]
    write_stream: Callable[[bytes, ir.Context, list[ir.Event], bool], tuple[bytes, bytes]]

    def read_request(self, body: bytes, hints: ir.Hints) -> ir.Request:
        del hints  # the body names the model and streaming
        return self.read_body(body)


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleBackend:
    """A BackendCodec made of a shape module's functions."""

    shape: Shape
    write_request: Callable[[ir.Request], TranslatedRequest]
    read_response: Callable[[bytes], ir.Response]
    read_error: Callable[[int, bytes], ir.Error]
    read_stream: Callable[[bytes, list[SseEvent], bool], tuple[bytes, list[ir.Event]]]
