"""Ingate configuration: one YAML file plus INGATE_* environment variables."""

from ingate_config.errors import ConfigError
from ingate_config.loader import env_name, load_settings, server_urls
from ingate_config.model import (
    AnalyticsConfig,
    EdgeConfig,
    EventsConfig,
    LogFormat,
    ProviderConfig,
    RunConfig,
    Settings,
    TelemetryConfig,
)

__all__ = [
    "AnalyticsConfig",
    "ConfigError",
    "EdgeConfig",
    "EventsConfig",
    "LogFormat",
    "ProviderConfig",
    "RunConfig",
    "Settings",
    "TelemetryConfig",
    "env_name",
    "load_settings",
    "server_urls",
]
