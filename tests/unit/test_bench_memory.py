"""bench.memory's reading of /proc and its table."""

import os
from pathlib import Path

import pytest

from bench.memory import Memory, memory_of, table


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux only")
def test_a_process_memory_is_rss_above_pss_above_uss() -> None:
    memory = memory_of(os.getpid())
    assert memory.rss >= memory.pss >= memory.uss > 0


def test_the_table_has_a_row_per_process_and_their_totals() -> None:
    one, two = Memory(2048, 1024, 512), Memory(4096, 3072, 1024)
    samples = {phase: {"edge": one, "analytics": two} for phase in ("idle", "loaded", "after")}
    rows = table(samples).splitlines()
    assert [row.split(" | ")[0] for row in rows[2:]] == ["| `edge`", "| `analytics`", "| **total**"]
    assert rows[-1] == "| **total** | 6 | 4 | 2 | 6 | 4 | 6 | 4 |"
