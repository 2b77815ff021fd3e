"""Run steps against an analytics data folder's embedded ClickHouse, in order, and print what they return.

Run as a process of its own (`python -m tests.analytics.db_plan DATA_DIR STEPS_JSON`): chDB opens one
data folder per process, and the test process has its own already. Each step is one of
`{"migrate": DIR}` (apply the migrations found in DIR; returns the versions applied),
`{"insert": COLUMN_NAMES, "columns": COLUMNS}` (a column-oriented insert into ingate.requests;
returns null) and `{"query": SQL, "parameters": {...}}` (returns the rows). The results are
printed as one JSON list.
"""

import json
import sys
from pathlib import Path
from typing import Any

from ingate_analytics import apply_migrations, open_database
from ingate_config import Settings


def main(argv: list[str]) -> None:
    data_dir, steps = argv
    client = open_database(Settings(data_dir=data_dir))
    results: list[Any] = []
    for step in json.loads(steps):
        if "migrate" in step:
            results.append(apply_migrations(client, Path(step["migrate"])))
        elif "insert" in step:
            client.insert(
                "ingate.requests", step["columns"], column_names=step["insert"], column_oriented=True
            )
            results.append(None)
        else:
            rows = client.query(step["query"], parameters=step.get("parameters", {})).result_rows
            results.append([list(row) for row in rows])
    client.close()
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
