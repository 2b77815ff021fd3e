"""W3C trace context in NATS headers (and HTTP ones): the one way a trace crosses a hop.

The NATS contract fixes W3C `traceparent`/`tracestate`, so the W3C propagator is used
directly rather than whatever OTEL_PROPAGATORS names: a replica configured differently
must still join its callers' traces.
"""

from collections.abc import Mapping
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT: Final = "traceparent"

_W3C: Final = TraceContextTextMapPropagator()


def extract_context(headers: Mapping[str, str] | None) -> Context | None:
    """The remote parent `headers` carry, or None when they carry none (a new trace then)."""
    if not headers or TRACEPARENT not in headers:
        return None
    return _W3C.extract(headers)


def is_sampled(context: Context) -> bool:
    """Whether the context's span is valid and sampled (its caller records the trace)."""
    span_context = trace.get_current_span(context).get_span_context()
    return span_context.is_valid and span_context.trace_flags.sampled


def inject_headers(span: Span, headers: dict[str, str]) -> None:
    """Add `span`'s traceparent (and tracestate, if any) to `headers`."""
    _W3C.inject(headers, context=trace.set_span_in_context(span))


def traceparent_of(span: Span) -> str | None:
    """`span`'s context as a W3C traceparent value; None for an invalid context."""
    carrier: dict[str, str] = {}
    inject_headers(span, carrier)
    return carrier.get(TRACEPARENT)


def checked_traceparent(value: str) -> str | None:
    """A caller's traceparent as the propagator re-writes it, or None when it is malformed.

    Re-writing rather than passing on keeps a header value sent by anyone out of NATS
    headers unless it is exactly what W3C allows."""
    context = _W3C.extract({TRACEPARENT: value})
    return traceparent_of(trace.get_current_span(context))
