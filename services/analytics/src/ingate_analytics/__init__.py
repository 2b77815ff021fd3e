"""Ingate analytics: request records from JetStream into ClickHouse, and usage totals on request."""

from ingate_analytics.audit_lookup import AuditResponder
from ingate_analytics.batcher import Backoff, Batcher, Delivery
from ingate_analytics.consumer import (
    ACK_WAIT_S,
    DEADLETTER_REASON_HEADER,
    ORIGINAL_SUBJECT_HEADER,
    EventConsumer,
)
from ingate_analytics.database import open_database
from ingate_analytics.migrations import apply_migrations
from ingate_analytics.records import COLUMNS, InvalidRecord, decode_record, to_row
from ingate_analytics.requests_lookup import RequestsResponder
from ingate_analytics.service import run_analytics, serve
from ingate_analytics.sink import ClickHouseSink, Sink
from ingate_analytics.usage import UsageResponder
from ingate_analytics.usage_series import UsageSeriesResponder

__all__ = [
    "ACK_WAIT_S",
    "COLUMNS",
    "DEADLETTER_REASON_HEADER",
    "ORIGINAL_SUBJECT_HEADER",
    "AuditResponder",
    "Backoff",
    "Batcher",
    "ClickHouseSink",
    "Delivery",
    "EventConsumer",
    "InvalidRecord",
    "RequestsResponder",
    "Sink",
    "UsageResponder",
    "UsageSeriesResponder",
    "apply_migrations",
    "decode_record",
    "open_database",
    "run_analytics",
    "serve",
    "to_row",
]
