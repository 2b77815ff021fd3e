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
