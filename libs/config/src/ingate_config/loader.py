"""Build `Settings` from one YAML file plus the environment (the environment wins).

Every problem becomes a `ConfigError` naming the setting — the YAML path, or the
variable when the value came from the environment — so a bad config fails at
start with one clear line.
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import msgspec
import yaml

from ingate_config.convert import convert_one, env_list, parse_yaml
from ingate_config.errors import ConfigError
from ingate_config.model import (
    LOG_LEVELS,
    AdminConfig,
    AnalyticsConfig,
    CacheConfig,
    EdgeConfig,
    EventsConfig,
    PayloadsConfig,
    ProviderConfig,
    RunConfig,
    Settings,
    TelemetryConfig,
)
from ingate_config.routes import ROUTES_FILE_ENV, load_routes
from ingate_providers import FORMATS, ProviderFormat

_NAME_RE: Final = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
# Names that would make INGATE_<NAME>_* collide with the service-level variables.
_RESERVED_NAMES: Final = frozenset(
    {
        "edge",
        "admin",
        "events",
        "analytics",
        "telemetry",
        "run",
        "nats",
        "data",
        "config",
        "mock",
        "clickhouse",
        "log",
    }
)

_TOP_LEVEL_ENV: Final = {
    "nats_url": ("INGATE_NATS_URL",),
    "data_dir": ("INGATE_DATA_DIR",),
    "clickhouse_url": ("CLICKHOUSE_URL", "INGATE_CLICKHOUSE_URL"),
    "clickhouse_cluster": ("INGATE_CLICKHOUSE_CLUSTER",),
}
# A cluster's name is spliced into ON CLUSTER clauses and Distributed engines.
_CLUSTER_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECTIONS: Final[dict[str, Any]] = {
    "edge": EdgeConfig,
    "admin": AdminConfig,
    "events": EventsConfig,
    "analytics": AnalyticsConfig,
    "telemetry": TelemetryConfig,
    "run": RunConfig,
    "payloads": PayloadsConfig,
    "cache": CacheConfig,
}
# Older spellings still honoured; the INGATE_<SECTION>_<FIELD> variable wins over them.
_ENV_ALIASES: Final = {"INGATE_TELEMETRY_LOG_LEVEL": "INGATE_LOG_LEVEL"}
_PROVIDER_ENV_FIELDS: Final[dict[str, Any]] = {
    "format": str,
    "base_url": str,
    "api_key": str,
    "models": str,  # comma-separated
    "connect_timeout_s": float,
    "read_timeout_s": float,
    "responses_websocket": bool,
}


def load_settings(config_path: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    raw = _read_yaml(config_path, env)
    # Providers and routes are built apart: routes are checked against the finished providers.
    merged: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("providers", "routes")}
    if env.get("INGATE_PRICES_FILE"):
        merged["prices"] = {**(raw.get("prices") or {}), **_prices_file(env["INGATE_PRICES_FILE"])}
    for field, names in _TOP_LEVEL_ENV.items():
        for name in names:
            if env.get(name):
                merged[field] = env[name]
                break
    for section, struct in _SECTIONS.items():
        merged[section] = _section(section, struct, raw.get(section), env)
    merged["providers"] = _providers_section(raw.get("providers"), env)
    settings = _convert(merged)
    _check(settings)
    _check_patterns(settings.payloads.redact, _REDACT_ENV if env.get(_REDACT_ENV) else "payloads.redact")
    routes = load_routes(raw.get("routes"), env.get(ROUTES_FILE_ENV), settings)
    return msgspec.structs.replace(settings, routes=routes)


def env_name(provider: str, field: str) -> str:
    return f"INGATE_{provider.upper().replace('-', '_')}_{field.upper()}"


def _read_yaml(config_path: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    setting = "--config" if config_path else "INGATE_CONFIG"
    path = config_path or env.get("INGATE_CONFIG")
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(setting, f"cannot read {path}: {exc.strerror or exc}") from None
    data = parse_yaml(text, setting, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(setting, f"{path} must hold a mapping at the top level")
    return data


def _prices_file(path: str) -> dict[str, Any]:
    """A YAML or JSON mapping of model name to prices, as `prices:` in the config file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("INGATE_PRICES_FILE", f"cannot read prices from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("INGATE_PRICES_FILE", f"{path} must map model names to prices")
    return data


def _section(name: str, struct: Any, section: Any, env: Mapping[str, str]) -> dict[str, Any]:
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(name, "must be a mapping")
    result = dict(section)
    for field in msgspec.structs.fields(struct):
        field_type = field.type
        var = f"INGATE_{name.upper()}_{field.name.upper()}"
        if not env.get(var) and env.get(_ENV_ALIASES.get(var, "")):
            var = _ENV_ALIASES[var]
        if env.get(var):
            result[field.name] = _typed_env(var, env[var], field_type)
    return result


def _providers_section(section: Any, env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    # Each format's built-in provider, named after it, at its public address.
    providers: dict[str, dict[str, Any]] = {
        name: {"name": name, "format": name, "base_url": fmt.default_base_url}
        for name, fmt in FORMATS.items()
    }
    fallback_key_envs: dict[str, tuple[str, ...]] = {name: _key_envs(fmt) for name, fmt in FORMATS.items()}
    for index, entry in enumerate(_provider_entries(section)):
        where = f"providers[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}.name", "each provider needs a name")
        name = entry["name"]
        check_provider_name(f"{where}.name", name)
        base = providers.get(name, {})
        if name in providers and name not in fallback_key_envs:
            raise ConfigError(f"{where}.name", f"provider {name!r} is defined twice")
        providers[name] = {**base, **entry}
        if "base_url" in entry:
            providers[name]["base_url_configured"] = True
    for name in _providers_named_in_env(env):
        if name not in providers:
            check_provider_name(env_name(name, "format"), name)
            providers[name] = {"name": name}
    for name, provider in providers.items():
        for field, field_type in _PROVIDER_ENV_FIELDS.items():
            var = env_name(name, field)
            if env.get(var):
                value = _typed_env(var, env[var], field_type)
                if field == "models":
                    value = [m.strip() for m in str(value).split(",") if m.strip()]
                provider[field] = value
                if field == "base_url":
                    provider["base_url_configured"] = True
        _resolve_credential(name, provider, env, fallback_key_envs.get(name, ()))
        provider.setdefault("responses_websocket", _offers_responses_websocket(provider))
        for required in ("format", "base_url"):
            if required not in provider:
                raise ConfigError(f"providers.{name}.{required}", "is required")
    return providers


def _offers_responses_websocket(provider: dict[str, Any]) -> bool:
    """The default of `responses_websocket`: a provider at a host its format knows serves it
    (OpenAI's own API), not an OpenAI-compatible server elsewhere."""
    fmt = FORMATS.get(provider.get("format", ""))
    base_url = provider.get("base_url")
    if fmt is None or not isinstance(base_url, str):
        return False
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        return False  # check_provider names the bad URL
    return host in fmt.responses_websocket_hosts


def _provider_entries(section: Any) -> list[Any]:
    if section is None:
        return []
    if not isinstance(section, list):
        raise ConfigError("providers", "must be a list of providers, each with a name")
    return section


_SECTION_PREFIXES: Final = tuple(f"INGATE_{section.upper()}_" for section in _SECTIONS)


def _providers_named_in_env(env: Mapping[str, str]) -> list[str]:
    """Aliases defined only by variables, e.g. INGATE_GROQ_FORMAT + INGATE_GROQ_BASE_URL."""
    names = []
    for var in env:
        if var.startswith(_SECTION_PREFIXES):
            continue  # e.g. INGATE_TELEMETRY_LOG_FORMAT is a setting, not a provider's format
        if var.startswith("INGATE_") and var.endswith("_FORMAT") and env[var]:
            names.append(var[len("INGATE_") : -len("_FORMAT")].lower().replace("_", "-"))
    return names


def _key_envs(fmt: ProviderFormat) -> tuple[str, ...]:
    """The variables a built-in provider's key is read from when INGATE_<NAME>_API_KEY is unset."""
    first = (fmt.fallback_key_env,) if fmt.fallback_key_env else ()
    return (*first, *fmt.more_key_envs)


def _resolve_credential(
    name: str, provider: dict[str, Any], env: Mapping[str, str], fallback_envs: tuple[str, ...]
) -> None:
    if provider.get("api_key"):
        return
    key_env = provider.get("api_key_env")
    if key_env:
        if not isinstance(key_env, str):
            raise ConfigError(f"providers.{name}.api_key_env", "must be the name of an environment variable")
        if env.get(key_env):
            provider["api_key"] = env[key_env]
        else:  # a start without it must work (a shipped example, one provider's key not there yet)
            provider["missing_credential"] = key_env
    else:
        for var in fallback_envs:
            if env.get(var):
                provider["api_key"] = env[var]
                return


def _typed_env(var: str, value: str, field_type: Any) -> Any:
    if getattr(field_type, "__origin__", None) is list:
        return env_list(var, value)
    try:
        return msgspec.convert(value.strip(), field_type, strict=False)
    except msgspec.ValidationError:
        kind = getattr(field_type, "__name__", str(field_type))
        raise ConfigError(var, f"expected {kind}, got {value!r}") from None


def _convert(merged: dict[str, Any]) -> Settings:
    # Providers are converted one by one so an error names the provider, not `[...]`.
    providers = {
        name: convert_one(raw, ProviderConfig, f"providers.{name}")
        for name, raw in merged.pop("providers").items()
    }
    settings = convert_one(merged, Settings, "")
    return msgspec.structs.replace(settings, providers=providers)


def _check(settings: Settings) -> None:
    edge = settings.edge
    for field in ("port", "metrics_port"):
        if not 0 <= getattr(edge, field) <= 65535:
            raise ConfigError(f"edge.{field}", f"must be between 0 and 65535, got {getattr(edge, field)}")
    if edge.metrics_port and edge.metrics_port == edge.port:
        raise ConfigError("edge.metrics_port", "must differ from edge.port")
    positive = ("max_body_bytes", "max_header_bytes", "max_headers", "header_timeout_s", "body_timeout_s")
    for field in (*positive, "max_connections", "workers", "translate_timeout_s", "websocket_idle_timeout_s"):
        if getattr(edge, field) <= 0:
            raise ConfigError(f"edge.{field}", "must be positive")
    for section in ("events", "analytics", "run", "payloads", "cache"):
        values = msgspec.structs.asdict(getattr(settings, section))
        for field, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
                raise ConfigError(f"{section}.{field}", "must be positive")
    telemetry = settings.telemetry
    if not 0 <= telemetry.metrics_port <= 65535:
        port = telemetry.metrics_port
        raise ConfigError("telemetry.metrics_port", f"must be between 0 and 65535, got {port}")
    if telemetry.log_level.upper() not in LOG_LEVELS:
        raise ConfigError("telemetry.log_level", f"must be one of {', '.join(LOG_LEVELS)}")
    _check_nats_url(settings.nats_url)
    if settings.clickhouse_url:
        _check_url("clickhouse_url", settings.clickhouse_url, ("http", "https"))
    if settings.clickhouse_cluster is not None:
        _check_cluster(settings)
    for name, provider in settings.providers.items():
        check_provider(name, provider)


def _check_cluster(settings: Settings) -> None:
    cluster = settings.clickhouse_cluster or ""
    if not _CLUSTER_NAME_RE.match(cluster):
        problem = f"expected a cluster name of letters, digits and underscores, got {cluster!r}"
        raise ConfigError("clickhouse_cluster", problem)
    if not settings.clickhouse_url:
        raise ConfigError("clickhouse_cluster", "needs CLICKHOUSE_URL: embedded ClickHouse is one server")


_REDACT_ENV: Final = "INGATE_PAYLOADS_REDACT"


def _check_patterns(patterns: list[str], setting: str) -> None:
    """Each operator regex compiles: one that does not fails the start, not the first capture."""
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"{setting}[{index}]", f"{pattern!r} is not a valid regular expression: {exc}"
            ) from None


def check_provider(name: str, provider: ProviderConfig) -> None:
    _check_url(f"providers.{name}.base_url", provider.base_url, ("http", "https"))
    for field in ("connect_timeout_s", "read_timeout_s"):
        if getattr(provider, field) <= 0:
            raise ConfigError(f"providers.{name}.{field}", "must be positive")


def check_provider_name(setting: str, name: str) -> None:
    """A provider's name is part of INGATE_<NAME>_* variables and of X-Ingate-Provider."""
    if not _NAME_RE.match(name):
        shown = repr(name[:70]) + ("…" if len(name) > 70 else "")
        raise ConfigError(
            setting, f"{shown} must be 1 to 63 lower-case letters, digits and dashes, starting with a letter"
        )
    if name in _RESERVED_NAMES:
        raise ConfigError(setting, f"{name!r} is reserved")


def _check_url(setting: str, url: str, schemes: tuple[str, ...]) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(setting, f"expected a {'/'.join(schemes)} URL, got {url!r}")


def server_urls(url: str) -> list[str]:
    """The servers of a NATS URL setting: one URL, or several separated by commas (a cluster's
    seed servers, as the nats CLI and the other NATS clients take them)."""
    return [part.strip() for part in url.split(",") if part.strip()]


def _check_nats_url(url: str) -> None:
    """One URL, or a cluster's servers separated by commas; all plain NATS or all websocket."""
    urls = server_urls(url)
    if not urls:
        raise ConfigError("nats_url", "expected a nats URL, got an empty setting")
    for one in urls:
        _check_url("nats_url", one, ("nats", "tls", "ws", "wss"))
    if len({urlsplit(one).scheme in ("ws", "wss") for one in urls}) > 1:
        raise ConfigError("nats_url", f"mixes websocket and plain NATS servers: {url!r}")
