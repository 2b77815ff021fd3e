"""Typed settings. Every field is reachable from YAML and from an INGATE_* variable."""

from typing import Final, Literal

import msgspec

from ingate_config.route_model import RouteConfig
from ingate_pricing import PriceOverride
from ingate_providers import Format


class ProviderConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One upstream the edge may forward to: a built-in provider or an operator's alias."""

    name: str
    format: Format
    base_url: str
    # Resolved credential; `api_key_env` names a variable to read it from instead.
    api_key: str | None = msgspec.field(default=None)
    api_key_env: str | None = None
    # The variable `api_key_env` names when it was not set: the edge starts all the same (with a
    # warning) and answers this provider's requests with an error saying what to set.
    missing_credential: str = ""
    # Glob patterns of model names this provider may be asked for; None allows all.
    models: list[str] | None = None
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 600.0
    # The provider serves the Responses API over WebSocket (GET {base_url}/responses upgraded):
    # the edge then relays a client's Responses WebSocket to one of its own. The loader's default
    # is true only for OpenAI's public API (OpenAI-compatible servers rarely have the mode).
    responses_websocket: bool = False
    # True when the operator set base_url rather than inheriting the public default.
    base_url_configured: bool = False

    def __repr__(self) -> str:  # keep credentials out of logs and tracebacks
        shown = "set" if self.api_key else "unset"
        return (
            f"ProviderConfig(name={self.name!r}, format={self.format!r}, "
            f"base_url={self.base_url!r}, api_key={shown})"
        )


class EdgeConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    host: str = "0.0.0.0"
    port: int = 8080
    # Anthropic accepts 32 MB requests (images as base64); accept the same by default.
    max_body_bytes: int = 32 * 1024 * 1024
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100  # request header lines; more get 431
    # From a request's first byte until its headers are complete; then 408 and the connection closes.
    header_timeout_s: float = 10.0
    # Longest pause between bytes of an incomplete request body before the connection is closed.
    body_timeout_s: float = 60.0
    # Open connections per edge process; connections beyond it get 503.
    max_connections: int = 10_000
    # How long the edge waits for the translator service before answering 503.
    translate_timeout_s: float = 5.0
    # A Responses WebSocket with no response under way and no frame for this long is closed.
    websocket_idle_timeout_s: float = 300.0
    workers: int = 1
    # Where /healthz, /readyz and /metrics are served apart from the public port; 0: /metrics is
    # served on the public port, as locally.
    metrics_port: int = 0


class AdminConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The admin API and console: loopback only by default, they change keys and routes."""

    host: str = "127.0.0.1"
    port: int = 8081
    max_body_bytes: int = 1024 * 1024


class EventsConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The JetStream stream of request records, and the edge's spool for when NATS is away."""

    publish: bool = True  # the edge publishes one record per request (off only to measure its cost)
    stream_max_age_s: float = 7 * 24 * 3600.0
    stream_max_bytes: int = 1024 * 1024 * 1024
    stream_replicas: int = 1
    # JetStream drops a re-published record whose Nats-Msg-Id it saw within this window.
    duplicate_window_s: float = 120.0
    spool_memory_events: int = 10_000
    spool_file_max_bytes: int = 256 * 1024 * 1024
    spool_dir: str = ""  # default: <data_dir>/spool


class AnalyticsConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    batch_size: int = 5000
    flush_interval_ms: int = 500
    ttl_days: int = 365
    migrations_dir: str = ""  # default: the migrations shipped with Ingate


class PayloadsConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Capture of request and response bodies into ingate.request_payloads (DESIGN.md, "Request log")."""

    enabled: bool = False  # capture every request's bodies; else only those of keys with log_payloads
    ttl_days: int = 30  # how long ClickHouse keeps a captured payload
    max_bytes: int = 256 * 1024  # each body is cut at this many bytes (and marked truncated)
    # Regular expressions whose matches are replaced with [REDACTED] (credentials always are).
    redact: list[str] = msgspec.field(default_factory=list)


class CacheConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The shared response cache (DESIGN.md, "Cache"): used by keys with a cache TTL and by
    requests sending X-Ingate-Cache-TTL."""

    shared: bool = False  # one answer serves every key; else each key has its own entries
    max_ttl_s: int = 7 * 86400  # no entry outlives this, whatever a key or a request asks
    max_bytes: int = 8 * 1024 * 1024  # answers larger than this are served but not cached


LogFormat = Literal["json", "text"]
LOG_LEVELS: Final[tuple[str, ...]] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class TelemetryConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Metrics listener and logs. Traces follow the standard OTEL_* variables instead."""

    # The translator's and analytics' listener for /healthz, /readyz and /metrics; 0 = none.
    # The edge serves the three on its own port.
    metrics_port: int = 0
    log_format: LogFormat = "json"  # one JSON object per line; "text" for people
    log_level: str = "INFO"


class RunConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """`ingate run`, the local supervisor."""

    # A start fails when a child exits, or when the services are still not ready after this long.
    start_timeout_s: float = 600.0


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    nats_url: str = "nats://127.0.0.1:4222"
    data_dir: str = "./var"
    clickhouse_url: str | None = None
    # The ClickHouse cluster (a name in the servers' remote_servers) to make the schema on, with
    # replicated and Distributed tables; None: one server, or embedded chDB.
    clickhouse_cluster: str | None = None
    edge: EdgeConfig = msgspec.field(default_factory=EdgeConfig)
    events: EventsConfig = msgspec.field(default_factory=EventsConfig)
    analytics: AnalyticsConfig = msgspec.field(default_factory=AnalyticsConfig)
    telemetry: TelemetryConfig = msgspec.field(default_factory=TelemetryConfig)
    run: RunConfig = msgspec.field(default_factory=RunConfig)
    payloads: PayloadsConfig = msgspec.field(default_factory=PayloadsConfig)
    cache: CacheConfig = msgspec.field(default_factory=CacheConfig)
    admin: AdminConfig = msgspec.field(default_factory=AdminConfig)
    # Overrides of the genai-prices catalog, USD per million tokens, by model name (its snapshots too).
    prices: dict[str, PriceOverride] = msgspec.field(default_factory=dict)
    providers: dict[str, ProviderConfig] = msgspec.field(default_factory=dict)
    # Virtual model names, keyed by name in the order the configuration lists them.
    routes: dict[str, RouteConfig] = msgspec.field(default_factory=dict)

    def provider_names(self) -> list[str]:
        return sorted(self.providers)
