"""Ask `ingate usage` for totals, and wait until the records under test have reached them."""

import json
import time
from typing import Any

from tests.conftest import Edge


def usage_report(edge: Edge, *args: str) -> dict[str, Any]:
    code, out, err = edge.cli("usage", "--json", *args)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def user_usage_when_stored(edge: Edge, user: str, requests: int, timeout_s: float = 30.0) -> dict[str, Any]:
    """The report for `user` once its row counts `requests` requests (or the last one at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = usage_report(edge, "--user", user, "--since", "1h")
        users = report["users"]
        if (users and users[0]["requests"] >= requests) or time.monotonic() > deadline:
            return report
        time.sleep(0.3)
