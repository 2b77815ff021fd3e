"""Counting what a request used: token usage from bodies and streams, then its cost.

For OpenAI chat streams the edge asks the upstream for the usage chunk
(`stream_options.include_usage`) when the caller did not, and removes that chunk
again on the way back, so the caller sees exactly the stream it asked for.
"""

import msgspec

from ingate_contracts import RequestRecord
from ingate_edge.capture import Capture
from ingate_edge.streaming import StreamTransform
from ingate_edge.taps import NdjsonUsageTap, SseUsageTap
from ingate_edge.usage_meter import UsageMeter
from ingate_pricing import PriceTable
from ingate_providers import ProviderFormat

_INCLUDE_USAGE = b'"stream_options":{"include_usage":true},'


def ask_for_stream_usage(body: bytes) -> tuple[bytes, bool]:
    """The body with `stream_options.include_usage` set, and whether the edge had to set it."""
    if b'"stream_options"' not in body:
        start = body.find(b"{")
        return body[: start + 1] + _INCLUDE_USAGE + body[start + 1 :], True
    document = msgspec.json.decode(body)
    options = document.get("stream_options") if isinstance(document, dict) else None
    if not isinstance(options, dict) or options.get("include_usage"):
        return body, False  # already asked for, or a shape the upstream should judge itself
    options["include_usage"] = True
    return msgspec.json.encode(document), True


def stream_tap(
    fmt: ProviderFormat, meter: UsageMeter, strip_usage_chunk: bool, capture: Capture | None = None
) -> StreamTransform:
    """`capture`: the request's, when its bodies are captured; the tap hands it the events."""
    meter.streamed = True
    if fmt.framing == "ndjson":
        return NdjsonUsageTap(fmt, meter, None if capture is None else capture.ndjson())
    return SseUsageTap(fmt, meter, strip_usage_chunk, None if capture is None else capture.sse(capture.shape))


def record_usage(record: RequestRecord, meter: UsageMeter, prices: PriceTable, fmt: str) -> None:
    """The request's usage (estimated where a stream reported none), and its cost at `prices`,
    onto its record (`fmt`: the API format of the provider that answered, which picks its price)."""
    meter.estimate_missing(record.request_bytes)
    usage = meter.usage
    record.input_tokens = usage.input_tokens
    record.output_tokens = usage.output_tokens
    record.cache_read_tokens = usage.cache_read_tokens
    record.cache_write_tokens = usage.cache_write_tokens
    record.cache_write_1h_tokens = usage.cache_write_1h_tokens
    record.reasoning_tokens = usage.reasoning_tokens
    record.usage_estimated = usage.estimated
    if usage.input_tokens or usage.output_tokens:
        record.cost_usd, record.price_known = prices.cost(record.model, usage, fmt)
    else:
        record.price_known = prices.price(record.model, fmt) is not None
