"""NATS names shared by the services. Subjects carry a version so payloads can evolve."""

from typing import Final

KEYS_BUCKET: Final = "ingate_keys"

EVENTS_STREAM: Final = "INGATE_EVENTS"
EVENTS_SUBJECT_PREFIX: Final = "ingate.events.v1"


def events_subject(provider: str) -> str:
    """Subject for one request's record; the provider is the last token so consumers can filter."""
    return f"{EVENTS_SUBJECT_PREFIX}.{provider}"
