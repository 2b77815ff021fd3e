"""Payload capture: what the edge keeps of a request's bodies, redacted, for
`ingate.request_payloads` (see capture.py)."""

from ingate_edge.capture.capture import Capture, Capturer
from ingate_edge.capture.redact import REDACTED, Redactor
from ingate_edge.capture.streams import NdjsonCapture, SseCapture, StreamCapture

__all__ = ["REDACTED", "Capture", "Capturer", "NdjsonCapture", "Redactor", "SseCapture", "StreamCapture"]
