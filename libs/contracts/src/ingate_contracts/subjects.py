"""NATS names shared by the services. Subjects carry a version so payloads can evolve."""

from typing import Final

KEYS_BUCKET: Final = "ingate_keys"
# Shared limiter state: request/token buckets that every edge replica leases capacity from.
LIMITS_BUCKET: Final = "ingate_limits"
# Spend per key and calendar month (UTC): key `<key_id>.<YYYY-MM>`, value micro-USD as ASCII digits.
SPEND_BUCKET: Final = "ingate_spend"
# Targets (provider + model) that every edge skips for a while after upstream failures;
# key: the target id in base64url without padding, value: JSON with the id in clear.
COOLDOWNS_BUCKET: Final = "ingate_cooldowns"


def spend_entry(key_id: str, month: str) -> str:
    return f"{key_id}.{month}"


EVENTS_STREAM: Final = "INGATE_EVENTS"
EVENTS_SUBJECT_PREFIX: Final = "ingate.events.v1"


def events_subject(provider: str) -> str:
    """Subject for one request's record; the provider is the last token so consumers can filter."""
    return f"{EVENTS_SUBJECT_PREFIX}.{provider}"


# Every subject the events stream captures.
EVENTS_STREAM_SUBJECTS: Final = "ingate.events.>"
ANALYTICS_CONSUMER: Final = "analytics"

# Records the analytics consumer cannot decode go here (kept in their own stream), not round again.
DEADLETTER_STREAM: Final = "INGATE_DEADLETTER"
DEADLETTER_SUBJECT: Final = "ingate.deadletter.v1.events"
# Every subject the dead-letter stream captures, the unversioned one of earlier releases included
# (an analytics replica not yet upgraded still publishes there).
DEADLETTER_STREAM_SUBJECTS: Final = "ingate.deadletter.>"

# `ingate usage` asks the analytics service, which alone may open the embedded database.
USAGE_QUERY_SUBJECT: Final = "ingate.usage.v1.query"

# Captured request and response bodies (opt-in per key or globally), one message per request with
# Nats-Msg-Id `payload:<request id>`; on the events stream, so they reach ClickHouse the same way.
PAYLOADS_SUBJECT: Final = "ingate.events.payloads.v1"
# One message per administrative change (keys, limits, providers, routes), Nats-Msg-Id its audit id.
AUDIT_SUBJECT: Final = "ingate.events.audit.v1"

# Request lookup (`ingate requests`, the admin API) and the audit trail, answered by the analytics
# service for the same reason as usage: an embedded database is the analytics service's alone.
REQUESTS_QUERY_SUBJECT: Final = "ingate.requests.v1.query"
AUDIT_QUERY_SUBJECT: Final = "ingate.audit.v1.query"
# Usage per time bucket (the console's charts).
USAGE_SERIES_SUBJECT: Final = "ingate.usage.v1.series"

# Providers and routes added at run time (the admin API); every edge watches both buckets.
PROVIDERS_BUCKET: Final = "ingate_providers"
ROUTES_BUCKET: Final = "ingate_routes"
# Admin API tokens by SHA-256 hash, as keys are.
ADMIN_TOKENS_BUCKET: Final = "ingate_admin_tokens"
# Web console sign-ins by random session id (never the token): the token's hash, its name, the
# session's CSRF token; any admin replica reads them.
CONSOLE_SESSIONS_BUCKET: Final = "ingate_console_sessions"
