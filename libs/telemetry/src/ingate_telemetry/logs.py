"""Logs: one JSON object per line for collectors, or the plain text line people read.

A JSON line holds `ts`, `level`, `logger`, `message`, `service`, the `request_id` when one
is known (from `extra={"request_id": …}` or the request being served), and `exception`
when there is one. Nothing else from the record is copied, so whatever a call passes in
`extra` never reaches the output by accident.
"""

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Final

from ingate_config import LogFormat

# The request the current task serves. Each request runs in its own task (and tasks it
# starts copy the context), so the proxy sets it once and never needs to reset it.
REQUEST_ID: ContextVar[str | None] = ContextVar("ingate_request_id", default=None)

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(service: str, log_format: LogFormat = "json", level: str = "INFO") -> None:
    """Send every logger's records (uvicorn's and aiohttp's included) to stderr in one format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service) if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
