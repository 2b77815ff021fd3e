"""Sending one attempt to its provider, and passing the provider's answer back to the caller.

Split in two so that routing can look at an answer's status before anything reaches the
caller: `open_upstream` gets the response head (or the error saying why there is none),
`relay` streams or sends the answer on.
"""

import logging
import time
from typing import Any

from ingate_edge import errors
from ingate_edge.answer import read_whole, send_answer
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.headers import RESPONSE_DROPPED, response_headers
from ingate_edge.metering import stream_tap
from ingate_edge.streaming import StreamTransform, pump_stream
from ingate_edge.target import Target
from ingate_edge.upstream_http import CLIENT_ERRORS, UpstreamResponse
from ingate_providers import STREAM_CONTENT_TYPES

log = logging.getLogger("ingate.edge.forward")


async def open_upstream(exchange: Exchange, target: Target) -> UpstreamResponse:
    """The provider's response, its head read; a 502 or 504 when there is none."""
    upstream = target.upstream
    if upstream.config.missing_credential:
        raise GatewayError(
            errors.PROVIDER_CREDENTIAL_MISSING,
            f"Provider {upstream.name!r} has no credential: {upstream.config.missing_credential} "
            "was not set when the edge started.",
        )
    try:
        response = await upstream.client.send(target.method, target.url, target.headers, target.body)
    except TimeoutError:
        raise GatewayError(
            errors.UPSTREAM_TIMEOUT,
            f"Provider {upstream.name!r} did not answer within {upstream.read_timeout_s:g}s.",
        ) from None
    except CLIENT_ERRORS as exc:
        log.warning("provider %s unreachable: %s: %s", upstream.name, type(exc).__name__, exc)
        raise GatewayError(errors.UPSTREAM_UNREACHABLE, f"Cannot reach provider {upstream.name!r}.") from None
    record = exchange.record
    record.upstream_ms = (time.perf_counter() - exchange.t0) * 1000.0
    record.status = response.status
    record.error_type = f"upstream_{response.status}" if response.status >= 400 else ""
    return response


async def relay(
    exchange: Exchange,
    target: Target,
    response: UpstreamResponse,
    send: Any,
    receive: Any,
    extra_headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """The provider's answer to the caller, as a stream or whole; `extra_headers` are added."""
    record = exchange.record
    admission = exchange.admission
    # The key's own limits replace what the provider says of its (organisation's) limits.
    dropped = RESPONSE_DROPPED if admission is None else admission.plan.dropped
    out_headers = response_headers(response.raw_headers, exchange.request_id_bytes, dropped)
    out_headers.extend(extra_headers)
    if admission is not None:
        admission.add_headers(out_headers)
    content_type = response.header("content-type").encode("latin-1").lower()
    status = response.status
    translation = target.translation
    try:
        if content_type.startswith(STREAM_CONTENT_TYPES) and status < 400:
            transform: StreamTransform
            if translation is not None:
                transform = translation.stream(exchange.meter, exchange.capture)
                # The caller's stream is in its own framing (NDJSON for Ollama callers).
                out_headers = [h for h in out_headers if h[0] != b"content-type"]
                out_headers.append((b"content-type", translation.client.stream_content_type))
            else:
                transform = stream_tap(
                    exchange.dialect, exchange.meter, target.strip_usage_chunk, exchange.capture
                )
            exchange.started = True
            await pump_stream(response, out_headers, send, receive, exchange.t0, record, transform)
            return
        data = await read_whole(response, target.upstream)
    finally:
        await response.release()
    await send_answer(exchange, target, status, data, out_headers, content_type, send)
