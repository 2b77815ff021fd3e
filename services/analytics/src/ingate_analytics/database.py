"""The ClickHouse client: a server over HTTP when CLICKHOUSE_URL is set, else embedded chDB.

Both are clickhouse-connect clients with the same API, so everything above this
module runs the same SQL against either. chDB is an optional dependency (the
`embedded` extra, which `ingate run` installs; the image leaves it out and sets
CLICKHOUSE_URL): it is looked for only when no URL is set, and imported only when
the embedded database is opened.
"""

import importlib.util
from pathlib import Path
from typing import Final

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ingate_config import Settings

EMBEDDED_MISSING: Final = (
    "CLICKHOUSE_URL is not set and the embedded ClickHouse (chdb) is not installed: "
    "set CLICKHOUSE_URL to a ClickHouse server, or install ingate-analytics[embedded]"
)


def embedded_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "clickhouse"


def missing_engine(settings: Settings) -> str | None:
    """Why no database can be opened with these settings, or None when one can be tried."""
    if settings.clickhouse_url or _installed("chdb"):
        return None
    return EMBEDDED_MISSING


def open_database(settings: Settings) -> Client:
    if settings.clickhouse_url:
        return clickhouse_connect.get_client(dsn=settings.clickhouse_url)
    path = embedded_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    return clickhouse_connect.get_client(interface="chdb", path=str(path))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # in sys.modules as None: imports of it are blocked
        return False
