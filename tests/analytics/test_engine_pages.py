"""The embedded engine's clean code pages are handed back, and the engine keeps working."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingate_analytics.engine_pages import read_mappings

_SMAPS = """\
7f0000000000-7f0000100000 r--p 00000000 08:01 42 /lib/engine.so
Rss:                 512 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
7f0000100000-7f0000300000 r-xp 00100000 08:01 42 /lib/engine.so
Rss:                1024 kB
Private_Dirty:         0 kB
7f0000300000-7f0000310000 r--p 00300000 08:01 42 /lib/engine.so
Rss:                  64 kB
Private_Dirty:        64 kB
7f0000310000-7f0000320000 rw-p 00310000 08:01 42 /lib/engine.so
Rss:                  64 kB
Private_Dirty:         0 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
Rss:                  16 kB
VmFlags: rd wr mr mw me gd ac
"""


@pytest.mark.parametrize(
    ("index", "path", "writable", "rss_kib", "droppable"),
    [
        (0, "/lib/engine.so", False, 512, True),  # read-only data, as in the file
        (1, "/lib/engine.so", False, 1024, True),  # code
        (2, "/lib/engine.so", False, 64, False),  # relocated, then made read-only: not the file's bytes
        (3, "/lib/engine.so", True, 64, False),  # writable: could change under us
        (4, "[stack]", True, 16, False),
    ],
)
def test_only_unmodified_read_only_mappings_are_dropped(
    index: int, path: str, writable: bool, rss_kib: int, droppable: bool
) -> None:
    mappings = read_mappings(_SMAPS)
    assert len(mappings) == 5
    mapping = mappings[index]
    assert (mapping.path, mapping.writable, mapping.fields["Rss"]) == (path, writable, rss_kib)
    assert mapping.clean_file_content is droppable


_ENGINE = """
import datetime, json, os, sys
import clickhouse_connect
from ingate_analytics.engine_pages import release_engine_code

def rss_kib():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))

client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
client.command("CREATE TABLE t (id String, ts DateTime64(3)) ENGINE = MergeTree ORDER BY id")
before = rss_kib()
released = release_engine_code()
after = rss_kib()
now = datetime.datetime.now()
for n in range(3):
    client.insert("t", [[f"{n}-{i}" for i in range(1000)], [now] * 1000], column_names=["id", "ts"],
                  column_oriented=True)
count = client.query("SELECT count() FROM t").result_rows[0][0]
print(json.dumps({"released": released, "before": before, "after": after, "count": count}))
"""


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux only")
def test_the_engine_runs_on_after_its_pages_are_handed_back(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _ENGINE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["count"] == 3000
    assert result["released"] > 50 * 2**20, result  # ~180 MB on Linux x86-64
    assert result["before"] - result["after"] > 50 * 1024, result
