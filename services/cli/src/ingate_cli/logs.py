"""Logging for every ingate process: JSON lines for services and jobs, text for people.

Services (and jobs such as `ingate migrate`) log as `telemetry.log_format` says, JSON lines
by default, for log collectors. The commands a person types at a terminal log readable text
lines unless INGATE_TELEMETRY_LOG_FORMAT says otherwise; `ingate run` passes the same
choice on to the services it starts, so the whole local stack reads alike.
"""

import os
from typing import Final

from ingate_config import LogFormat, Settings
from ingate_telemetry import configure_logging as configure_handler

LOG_FORMAT_VAR: Final = "INGATE_TELEMETRY_LOG_FORMAT"
_INTERACTIVE: Final = frozenset({"run", "status", "keys", "usage"})


def configure_logging(command: str, settings: Settings) -> None:
    telemetry = settings.telemetry
    log_format: LogFormat = telemetry.log_format
    if command in _INTERACTIVE and LOG_FORMAT_VAR not in os.environ:
        log_format = "text"
    configure_handler(f"ingate-{command}", log_format, telemetry.log_level)
