"""Tracing set up from the standard OTEL_* variables — or not at all, at no cost.

`tracing_from_env` returns None when tracing is off, and every service keeps that None:
its hot path then checks one attribute and creates no span objects.

On: `OTEL_TRACES_EXPORTER` names exporters (`otlp`, `console`; `none` for none), and the
OTLP one sends http/protobuf to `OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT`. The spec's default
exporter is `otlp`; here, with neither variable set, tracing stays off, because a gateway
nobody pointed at a collector should not post spans to localhost:4318 unasked. Off, always:
`OTEL_SDK_DISABLED=true`. Everything else — the sampler (`OTEL_TRACES_SAMPLER[_ARG]`, default
parent-based always-on), `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the endpoint's
headers, timeout and compression, `OTEL_BSP_*` — the SDK reads itself, as the spec says.
"""

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from ingate_config import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

# The SDK and the OTLP exporter (protobuf) are imported only when tracing is switched on:
# they would otherwise cost every process ~9 MB and ~0.2 s at start for nothing.

_EXPORTERS: Final = ("otlp", "console", "none")
_OTLP_PROTOCOL: Final = "http/protobuf"


class Tracing:
    """A tracer provider exporting where the OTEL_* variables say; `shutdown` sends what is left."""

    def __init__(self, provider: "TracerProvider") -> None:
        self.provider = provider

    def tracer(self, name: str) -> "Tracer":
        return self.provider.get_tracer(name)

    def shutdown(self) -> None:
        self.provider.shutdown()


def tracing_from_env(service_name: str) -> Tracing | None:
    """Tracing as the environment asks for it, or None when it is off.

    `service_name` names the service unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES do.
    A value this cannot honour raises ConfigError naming the variable.
    """
    env = os.environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    names = exporter_names(env)
    if not names:
        return None
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    exporters = [_exporter(name, env) for name in names]
    provider = TracerProvider(resource=_resource(service_name))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)


def exporter_names(env: Mapping[str, str]) -> list[str]:
    """The span exporters to run: OTEL_TRACES_EXPORTER's, or otlp when only an endpoint is set."""
    raw = env.get("OTEL_TRACES_EXPORTER", "").strip()
    if not raw:
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return ["otlp"] if endpoint else []
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in _EXPORTERS:
            raise ConfigError("OTEL_TRACES_EXPORTER", f"{name!r} is not one of {', '.join(_EXPORTERS)}")
    return [name for name in dict.fromkeys(names) if name != "none"]


def _exporter(name: str, env: Mapping[str, str]) -> "SpanExporter":
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    for var in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = env.get(var, "").strip()
        if protocol and protocol != _OTLP_PROTOCOL:
            raise ConfigError(var, f"only {_OTLP_PROTOCOL} (OTLP over HTTP) is supported, not {protocol!r}")
        if protocol:
            break
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _resource(service_name: str) -> "Resource":
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    resource = Resource.create()
    # The spec's placeholder when the environment names no service: ours is more useful.
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    return resource
