"""Passing a provider's whole (unstreamed) answer back: its usage counted, translated if need be.

Streamed answers go through streaming.py instead, chunk by chunk.
"""

import time
from typing import Any

from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.target import Target
from ingate_edge.upstream import Upstream
from ingate_edge.upstream_http import CLIENT_ERRORS, UpstreamResponse


async def read_whole(response: UpstreamResponse, upstream: Upstream) -> bytes:
    try:
        return await response.read()
    except TimeoutError:
        raise GatewayError(
            errors.UPSTREAM_TIMEOUT,
            f"Provider {upstream.name!r} stopped sending within {upstream.read_timeout_s:g}s.",
        ) from None
    except CLIENT_ERRORS:
        raise GatewayError(
            errors.UPSTREAM_UNREACHABLE, f"Provider {upstream.name!r} broke off its answer."
        ) from None


async def send_answer(
    exchange: Exchange,
    target: Target,
    status: int,
    data: bytes,
    headers: list[tuple[bytes, bytes]],
    content_type: bytes,
    send: Any,
) -> None:
    """`data`, the provider's answer with `status` and `headers` (to pass on), to the caller."""
    record = exchange.record
    translation = target.translation
    if status < 300:
        exchange.meter.read_body(translation.backend if translation else exchange.dialect, data)
    if translation is not None:
        status, data = await translation.response(status, data)
        headers = [h for h in headers if h[0] != b"content-type"]
        headers.append((b"content-type", b"application/json"))
    if exchange.route_names and status < 300:
        data = exchange.dialect.with_models(data, exchange.route_names)
    if exchange.request_id_field and status < 300 and b"json" in content_type:
        data = with_request_id_field(data, record.request_id)
    headers.append((b"content-length", str(len(data)).encode()))
    exchange.started = True
    await send({"type": "http.response.start", "status": status, "headers": headers})
    record.ttfb_ms = (time.perf_counter() - exchange.t0) * 1000.0
    await send({"type": "http.response.body", "body": data})
    record.response_bytes = len(data)
    if exchange.capture is not None:  # as the caller got it, after the edge's own changes
        exchange.capture.response_body = data


async def send_local(exchange: Exchange, status: int, body: bytes, send: Any) -> None:
    """An answer the edge gives itself (no provider asked), e.g. a route looked up as a model."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-ingate-request-id", exchange.request_id_bytes),
    ]
    exchange.started = True
    exchange.record.status = status
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    exchange.record.response_bytes = len(body)
    if exchange.capture is not None:
        exchange.capture.response_body = body


def with_request_id_field(body: bytes, request_id: str) -> bytes:
    """Add `"headers": {"X-Ingate-Request-Id": …}` to a JSON object body.

    The OpenAI SDK keeps unknown top-level fields as attributes, so
    `completion.headers.get("X-Ingate-Request-Id")` works on a parsed completion,
    as the user guide's error-handling example expects.
    """
    end = body.rfind(b"}")
    if end <= 0 or body[:1] != b"{":
        return body
    empty = body[1:end].strip() == b""
    field = b'"headers":{"X-Ingate-Request-Id":"' + request_id.encode() + b'"}'
    return body[:end] + (b"" if empty else b",") + field + body[end:]
