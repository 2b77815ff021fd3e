"""Ingate configuration: one YAML file plus INGATE_* environment variables."""

from ingate_config.errors import ConfigError
from ingate_config.loader import env_name, load_settings, server_urls
from ingate_config.model import (
    AdminConfig,
    AnalyticsConfig,
    CacheConfig,
    EdgeConfig,
    EventsConfig,
    LogFormat,
    PayloadsConfig,
    ProviderConfig,
    RunConfig,
    Settings,
    TelemetryConfig,
)
from ingate_config.route_model import (
    RETRY_CLASSES,
    ROUTE_STRATEGIES,
    RetryClass,
    RouteConfig,
    RouteStrategy,
    RouteTarget,
)
from ingate_config.routes import ROUTES_FILE_ENV

__all__ = [
    "RETRY_CLASSES",
    "ROUTES_FILE_ENV",
    "ROUTE_STRATEGIES",
    "AdminConfig",
    "AnalyticsConfig",
    "CacheConfig",
    "ConfigError",
    "EdgeConfig",
    "EventsConfig",
    "LogFormat",
    "PayloadsConfig",
    "ProviderConfig",
    "RetryClass",
    "RouteConfig",
    "RouteStrategy",
    "RouteTarget",
    "RunConfig",
    "Settings",
    "TelemetryConfig",
    "env_name",
    "load_settings",
    "server_urls",
]
