"""Ingate telemetry: tracing from OTEL_* variables, trace context in NATS headers, Prometheus
metrics and the operations listener, JSON logs — shared by every service.

The operations listener (`ingate_telemetry.ops.OpsServer`) is imported from its module: the
edge does not need it, and its web server would cost every edge a megabyte of memory."""

from ingate_telemetry.logs import REQUEST_ID, JsonFormatter, configure_logging
from ingate_telemetry.metrics import (
    COUNT_BUCKETS,
    FAST_BUCKETS_S,
    REQUEST_BUCKETS_S,
    WRITE_BUCKETS_S,
    ReadAtScrape,
    exposition,
    new_registry,
    status_class,
)
from ingate_telemetry.propagation import (
    TRACEPARENT,
    checked_traceparent,
    extract_context,
    inject_headers,
    is_sampled,
    traceparent_of,
)
from ingate_telemetry.tracing import Tracing, exporter_names, tracing_from_env

__all__ = [
    "COUNT_BUCKETS",
    "FAST_BUCKETS_S",
    "REQUEST_BUCKETS_S",
    "REQUEST_ID",
    "TRACEPARENT",
    "WRITE_BUCKETS_S",
    "JsonFormatter",
    "ReadAtScrape",
    "Tracing",
    "checked_traceparent",
    "configure_logging",
    "exporter_names",
    "exposition",
    "extract_context",
    "inject_headers",
    "is_sampled",
    "new_registry",
    "status_class",
    "traceparent_of",
    "tracing_from_env",
]
