"""Logging for every ingate process: one line per event, level from INGATE_LOG_LEVEL."""

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("INGATE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level if level in logging.getLevelNamesMapping() else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
