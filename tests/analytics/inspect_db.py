"""Print the rows of one query against an analytics data folder's embedded ClickHouse, as JSON.

Run as a process of its own (`python -m tests.analytics.inspect_db DATA_DIR SQL PARAMETERS_JSON`): chDB opens
one data folder per process, and the test process has its own already.
"""

import json
import sys

from ingate_analytics import open_database
from ingate_config import Settings


def main(argv: list[str]) -> None:
    data_dir, sql, parameters = argv
    client = open_database(Settings(data_dir=data_dir))
    rows = client.query(sql, parameters=json.loads(parameters)).result_rows
    print(json.dumps([list(row) for row in rows]))
    client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
