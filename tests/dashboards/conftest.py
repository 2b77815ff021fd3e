"""The shared engine, seeded once for every dashboards test module."""

import pytest
from clickhouse_connect.driver.client import Client as ClickHouseClient

from tests.dashboards.seed import PAYLOAD_COLUMNS, PAYLOAD_ROW, PREFIX, SEED_COLUMNS, seed_rows


@pytest.fixture(scope="session")
def seeded(clickhouse: ClickHouseClient) -> ClickHouseClient:
    """The shared engine with the seeded rows; the rollups fill through their materialized views."""
    present = clickhouse.query(
        "SELECT count() FROM ingate.requests WHERE startsWith(request_id, %(prefix)s)",
        parameters={"prefix": PREFIX},
    )
    if present.result_rows[0][0] == 0:  # inserting twice would double-count the rollups
        clickhouse.insert("ingate.requests", seed_rows(), column_names=SEED_COLUMNS)
        clickhouse.insert("ingate.request_payloads", [PAYLOAD_ROW], column_names=PAYLOAD_COLUMNS)
    return clickhouse
