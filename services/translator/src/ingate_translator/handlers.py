"""Endpoint handlers: decode the call, run the pure library, answer (or answer an error).

A request the library cannot express is a 400 with the library's message; anything
else that goes wrong is a 500 that names no internals.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
from nats.micro.request import Request

from ingate_contracts import translation as wire
from ingate_translate import CodecPair, SseEvent, TranslationError, get_pair, ir
from ingate_translator.telemetry import CallTelemetry, TranslatorTelemetry

log = logging.getLogger("ingate.translator")

_C = TypeVar("_C", wire.RequestCall, wire.ResponseCall, wire.StreamCall)
Handler = Callable[[Request], Awaitable[None]]


class UnknownPairError(Exception):
    pass


def _pair(client: str, backend: str) -> CodecPair:
    pair = get_pair(client, backend)  # type: ignore[arg-type]  # validated by the lookup itself
    if pair is None:
        raise UnknownPairError(f"no translation from {client} to {backend}")
    return pair


def _request(call: wire.RequestCall) -> bytes:
    hints = ir.Hints(model=call.model, stream=call.stream)
    translated = _pair(call.client, call.backend).request(call.body, hints)
    return wire.encode(
        wire.RequestReply(
            body=translated.body,
            path=translated.path,
            query=translated.query,
            headers=translated.headers,
            stream=translated.stream,
            model=translated.model,
            context=translated.context,
        )
    )


def _response(call: wire.ResponseCall) -> bytes:
    body = _pair(call.client, call.backend).response(call.context, call.body)
    return wire.encode(wire.ResponseReply(status=call.status, body=body))


def _error(call: wire.ResponseCall) -> bytes:
    status, body = _pair(call.client, call.backend).error(call.context, call.status, call.body)
    return wire.encode(wire.ResponseReply(status=status, body=body))


def _stream(call: wire.StreamCall) -> bytes:
    events = [SseEvent(event, data) for event, data in call.events]
    state, body = _pair(call.client, call.backend).stream(call.state, call.context, events, call.final)
    return wire.encode(wire.StreamReply(state=state, body=body))


def _endpoint(
    name: str, call_type: type[_C], work: Callable[[_C], bytes], telemetry: TranslatorTelemetry
) -> Handler:
    decode = msgspec.msgpack.Decoder(call_type).decode

    async def handle(request: Request) -> None:
        headers = request.headers
        measured = telemetry.start(name, request.subject, headers)
        try:
            call = decode(request.data)
            measured.pair(call.client, call.backend)
            reply = work(call)
        except TranslationError as exc:
            # The parameter leads, as the caller's SDK shows only the message.
            message = f"{exc.param}: {exc.message}" if exc.param else exc.message
            await _refuse(request, measured, "400", message)
            return
        except UnknownPairError as exc:
            await _refuse(request, measured, "400", str(exc))
            return
        except msgspec.DecodeError as exc:
            await _refuse(request, measured, "400", f"malformed translator call: {exc}")
            return
        except Exception:
            traceparent = (headers or {}).get("traceparent", "")
            log.exception("translation failed (traceparent=%s)", traceparent)
            await _refuse(request, measured, "500", "translation failed")
            return
        try:
            await request.respond(reply)
        finally:
            measured.done()

    return handle


async def _refuse(request: Request, measured: CallTelemetry, code: str, message: str) -> None:
    try:
        await request.respond_error(code, message)
    finally:
        measured.done(code)


def endpoints(telemetry: TranslatorTelemetry) -> dict[str, Handler]:
    """The four endpoints by name, each recording its calls in `telemetry`."""
    return {
        "request": _endpoint("request", wire.RequestCall, _request, telemetry),
        "response": _endpoint("response", wire.ResponseCall, _response, telemetry),
        "error": _endpoint("error", wire.ResponseCall, _error, telemetry),
        "stream": _endpoint("stream", wire.StreamCall, _stream, telemetry),
    }
