"""CPU accounting around one measured run: what the edge used, and what strangers used.

On a shared machine other processes steal CPU from the edge or from the
upstream and wrk, and tail latencies suffer for reasons that have nothing to
do with the edge. The harness therefore measures, per pinned CPU, the busy time
(/proc/stat) that none of its own processes account for, and reports it next to
every result.
"""

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of every thread of `pid` so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLOCK_TICKS


def cpu_busy_seconds() -> dict[int, float]:
    """Non-idle time per CPU so far, every process and the kernel together."""
    busy: dict[int, float] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if not (line.startswith("cpu") and line[3:4].isdigit()):
            continue
        name, *values = line.split()
        ticks = [int(value) for value in values[:8]]  # user .. steal; guest time is inside user
        busy[int(name[3:])] = (sum(ticks) - ticks[3] - ticks[4]) / _CLOCK_TICKS  # minus idle, iowait
    return busy


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def _own_cpu_seconds(edge_pid: int) -> float:
    """The harness, its finished children (wrk) and its live children other than the edge."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime
    for pid in _children(os.getpid()):
        if pid != edge_pid:
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue
    return total


@dataclass(frozen=True)
class Sample:
    at: float
    busy: dict[int, float]
    edge: float
    own: float


@dataclass(frozen=True)
class Load:
    edge_cpu_s: float  # CPU the edge process used
    stranger_edge_pct: float | None  # % of the edge's CPU used by other processes
    stranger_support_pct: float | None  # % of the support CPU used by other processes


class LoadMeter:
    def __init__(self, edge_pid: int, edge_cpu: int | None, support_cpu: int | None) -> None:
        self.edge_pid = edge_pid
        self.edge_cpu = edge_cpu
        self.support_cpu = support_cpu

    def sample(self) -> Sample:
        return Sample(
            at=time.monotonic(),
            busy=cpu_busy_seconds(),
            edge=cpu_seconds(self.edge_pid),
            own=_own_cpu_seconds(self.edge_pid),
        )

    def since(self, before: Sample) -> Load:
        after = self.sample()
        wall = max(after.at - before.at, 1e-9)
        edge = after.edge - before.edge
        if self.edge_cpu is None or self.support_cpu is None:
            return Load(edge, None, None)
        edge_busy = after.busy[self.edge_cpu] - before.busy[self.edge_cpu]
        support_busy = after.busy[self.support_cpu] - before.busy[self.support_cpu]
        own = after.own - before.own
        return Load(
            edge_cpu_s=edge,
            stranger_edge_pct=max(0.0, edge_busy - edge) / wall * 100,
            stranger_support_pct=max(0.0, support_busy - own) / wall * 100,
        )
