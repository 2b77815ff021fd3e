"""NATS plumbing shared by Ingate's services and command line."""

from ingate_nats.connection import connect, drain_or_close
from ingate_nats.keystore import KeyCache, KeyNotFoundError, KeyStore, key_bucket
from ingate_nats.server import NatsServer, NatsServerError, host_port, nats_server_binary
from ingate_nats.streams import ensure_event_streams, ensure_stream, events_stream_config

__all__ = [
    "KeyCache",
    "KeyNotFoundError",
    "KeyStore",
    "NatsServer",
    "NatsServerError",
    "connect",
    "drain_or_close",
    "ensure_event_streams",
    "ensure_stream",
    "events_stream_config",
    "host_port",
    "key_bucket",
    "nats_server_binary",
]
