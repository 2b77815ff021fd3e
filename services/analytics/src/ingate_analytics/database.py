"""The ClickHouse client: a server over HTTP when CLICKHOUSE_URL is set, else embedded chDB.

Both are clickhouse-connect clients with the same API, so everything above this
module runs the same SQL against either.
"""

from pathlib import Path

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ingate_config import Settings


def embedded_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "clickhouse"


def open_database(settings: Settings) -> Client:
    if settings.clickhouse_url:
        return clickhouse_connect.get_client(dsn=settings.clickhouse_url)
    path = embedded_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    return clickhouse_connect.get_client(interface="chdb", path=str(path))
