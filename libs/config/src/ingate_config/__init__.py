"""Ingate configuration: one YAML file plus INGATE_* environment variables."""

from ingate_config.builtins import BUILTIN_PROVIDERS
from ingate_config.errors import ConfigError
from ingate_config.loader import env_name, load_settings, server_urls
from ingate_config.model import (
    PROVIDER_FORMATS,
    AnalyticsConfig,
    EdgeConfig,
    EventsConfig,
    LogFormat,
    ProviderConfig,
    ProviderFormat,
    RunConfig,
    Settings,
    TelemetryConfig,
)

__all__ = [
    "BUILTIN_PROVIDERS",
    "PROVIDER_FORMATS",
    "AnalyticsConfig",
    "ConfigError",
    "EdgeConfig",
    "EventsConfig",
    "LogFormat",
    "ProviderConfig",
    "ProviderFormat",
    "RunConfig",
    "Settings",
    "TelemetryConfig",
    "env_name",
    "load_settings",
    "server_urls",
]
