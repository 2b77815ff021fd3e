"""Calls to the translator service over NATS request-reply, with a deadline.

No translator answering is a 503 in the caller's dialect, never a hang; a request
the translator cannot express comes back as a 400 with its explanation.
"""

from typing import TypeVar

import msgspec
from nats.aio.client import Client
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from ingate_contracts import translation as wire
from ingate_edge import errors
from ingate_edge.errors import GatewayError

_R = TypeVar("_R")
_UNAVAILABLE = (NoRespondersError, NatsTimeoutError, ConnectionClosedError, TimeoutError)


class TranslatorClient:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._client: Client | None = None
        self._decode_request = msgspec.msgpack.Decoder(wire.RequestReply).decode
        self._decode_response = msgspec.msgpack.Decoder(wire.ResponseReply).decode
        self._decode_stream = msgspec.msgpack.Decoder(wire.StreamReply).decode

    def attach(self, client: Client) -> None:
        self._client = client

    async def request(self, call: wire.RequestCall, traceparent: str) -> wire.RequestReply:
        return await self._call(wire.REQUEST_SUBJECT, call, self._decode_request, traceparent)

    async def response(self, call: wire.ResponseCall, traceparent: str) -> wire.ResponseReply:
        return await self._call(wire.RESPONSE_SUBJECT, call, self._decode_response, traceparent)

    async def error(self, call: wire.ResponseCall, traceparent: str) -> wire.ResponseReply:
        return await self._call(wire.ERROR_SUBJECT, call, self._decode_response, traceparent)

    async def stream(self, call: wire.StreamCall, traceparent: str) -> wire.StreamReply:
        return await self._call(wire.STREAM_SUBJECT, call, self._decode_stream, traceparent)

    async def _call(
        self,
        subject: str,
        call: msgspec.Struct,
        decode: "msgspec.msgpack.Decoder[_R] | object",
        traceparent: str,
    ) -> _R:
        client = self._client
        if client is None or not client.is_connected:
            raise _unavailable()
        try:
            reply = await client.request(
                subject, wire.encode(call), timeout=self.timeout_s, headers={"traceparent": traceparent}
            )
        except _UNAVAILABLE:
            raise _unavailable() from None
        code = (reply.headers or {}).get(wire.ERROR_CODE_HEADER)
        if code is not None:
            message = (reply.headers or {}).get(wire.ERROR_HEADER, "translation failed")
            if code == "400":
                raise GatewayError(errors.INVALID_REQUEST, f"Cannot translate this request: {message}")
            raise GatewayError(errors.TRANSLATION_FAILED, "The translator failed on this request.")
        result: _R = decode(reply.data)  # type: ignore[operator]
        return result


def _unavailable() -> GatewayError:
    return GatewayError(
        errors.TRANSLATOR_UNAVAILABLE,
        "Translation is unavailable: no translator service answered. Is `ingate translator` running?",
    )
