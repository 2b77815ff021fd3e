"""A small process supervisor: children that never outlive it, restarted with backoff.

Each child is started in a session of its own, so a terminal's Ctrl-C (SIGINT to the
whole foreground group) reaches only the supervisor, which then stops the children in
order. On Linux each child also asks the kernel for SIGTERM when the supervisor dies,
so a SIGKILL or a closed terminal leaves nothing behind either.

A child that exits is started again after a delay that doubles with each exit in a row
(0.5 s up to 30 s); a minute of being ready counts as recovery and resets the delay.
Readiness is the child's own probe (an HTTP /readyz, a port that answers), polled often
until the child is ready and every two seconds after.
"""

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Final, Literal

log = logging.getLogger("ingate.run")

ReadyProbe = Callable[[], bool]
State = Literal["starting", "ready", "not ready", "restarting", "stopped"]

POLL_S: Final = 0.2  # how often the children are looked at
FIRST_BACKOFF_S: Final = 0.5
MAX_BACKOFF_S: Final = 30.0
HEALTHY_S: Final = 60.0  # ready this long after a restart: the next exit starts the delays afresh
_PROBE_STARTING_S: Final = 0.2
_PROBE_READY_S: Final = 2.0
_PR_SET_PDEATHSIG: Final = 1

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: list[str]
    env: dict[str, str] | None = None
    ready: ReadyProbe | None = None  # None: ready as long as it runs
    pass_fds: tuple[int, ...] = ()
    log_path: Path | None = None  # its output goes here instead of the supervisor's terminal
    stop_wave: int = 0  # children stop in ascending waves: services before the NATS they use


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    state: State = "stopped"
    restarts: int = 0
    exits_in_a_row: int = 0
    last_exit: int | None = None
    since: float = field(default_factory=time.time)  # wall clock of the last state change
    _ready_since: float = 0.0
    _next_probe: float = 0.0
    _restart_at: float = 0.0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def restart_delay_s(self) -> float:
        delay: float = FIRST_BACKOFF_S * 2.0 ** max(0, self.exits_in_a_row - 1)
        return min(MAX_BACKOFF_S, delay)

    def snapshot(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "up": self.alive,
            "ready": self.state == "ready",
            "pid": self.pid if self.alive else None,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "last_exit_text": None if self.last_exit is None else describe_exit(self.last_exit),
            "since": round(self.since, 3),
            "restart_in_s": (
                round(max(0.0, self._restart_at - time.monotonic()), 1)
                if self.state == "restarting"
                else None
            ),
        }


class Supervisor:
    def __init__(self, on_change: Callable[["Supervisor"], None] | None = None) -> None:
        self.children: list[Child] = []
        self.on_change = on_change
        self.stopping = False

    def stop_on_signals(self) -> None:
        """SIGINT, SIGTERM and SIGHUP (a closed terminal) ask for a stop; asked twice, the
        supervisor stops waiting and kills the children."""

        def request_stop(_signum: int, _frame: FrameType | None) -> None:
            if self.stopping:
                self.kill()
            self.stopping = True

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)

    def watch(self) -> None:
        """Restart whatever exits, until a signal asks to stop."""
        while not self.stopping:
            self.poll()
            time.sleep(POLL_S)

    def start(self, spec: ChildSpec) -> Child:
        child = Child(spec)
        self.children.append(child)
        self._spawn(child)
        if self.on_change is not None:
            self.on_change(self)
        return child

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def poll(self, restart: bool = True) -> list[Child]:
        """One look at every child; returns the ones that exited since the last look.

        With `restart=False` an exited child stays down (start-up treats an exit as a failure)."""
        now = time.monotonic()
        exited: list[Child] = []
        changed = False
        for child in self.children:
            if child.state == "restarting":
                if restart and now >= child._restart_at:
                    child.restarts += 1
                    self._spawn(child)
                    changed = True
                continue
            if child.process is None or child.state == "stopped":
                continue
            status = child.process.poll()
            if status is not None:
                exited.append(child)
                self._exited(child, status, now)
                changed = True
            elif now >= child._next_probe:
                changed |= self._probe(child, now)
        if changed and self.on_change is not None:
            self.on_change(self)
        return exited

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stop every child, wave by wave: SIGTERM, then SIGKILL for one that outstays `timeout_s`."""
        for wave in sorted({c.spec.stop_wave for c in self.children}):
            members = [c for c in self.children if c.spec.stop_wave == wave]
            for child in members:
                if child.alive and child.process is not None:
                    child.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            for child in members:
                if child.process is None:
                    continue
                try:
                    child.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in time; killing it", child.name)
                    child.process.kill()
                    child.process.wait()
                child.state = "stopped"
        if self.on_change is not None:
            self.on_change(self)

    def kill(self) -> None:
        for child in self.children:
            if child.alive and child.process is not None:
                child.process.kill()

    def _spawn(self, child: Child) -> None:
        spec = child.spec
        output = None if spec.log_path is None else spec.log_path.open("ab")
        try:
            child.process = subprocess.Popen(
                spec.command,
                env=spec.env,
                pass_fds=spec.pass_fds,
                start_new_session=True,
                preexec_fn=_die_with(os.getpid()),
                stdout=output,
                stderr=output,
            )
        finally:
            if output is not None:
                output.close()
        child.state = "starting"
        child.since = time.time()
        child._next_probe = 0.0

    def _exited(self, child: Child, status: int, now: float) -> None:
        if child.state == "ready" and now - child._ready_since >= HEALTHY_S:
            child.exits_in_a_row = 0
        child.exits_in_a_row += 1
        child.last_exit = status
        delay = child.restart_delay_s()
        child._restart_at = now + delay
        child.state = "restarting"
        child.since = time.time()
        log.error("%s exited (%s); starting it again in %.1f s", child.name, describe_exit(status), delay)

    def _probe(self, child: Child, now: float) -> bool:
        ready = True if child.spec.ready is None else child.spec.ready()
        child._next_probe = now + (_PROBE_READY_S if ready else _PROBE_STARTING_S)
        state: State = (
            "ready" if ready else ("not ready" if child.state in ("ready", "not ready") else "starting")
        )
        if state == child.state:
            return False
        if state == "ready":
            child._ready_since = now
            if child.restarts:
                log.warning("%s is ready again", child.name)
        elif state == "not ready":
            log.warning("%s is running but not ready", child.name)
        child.state = state
        child.since = time.time()
        return True


def describe_exit(status: int) -> str:
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-status).name}"
        return f"killed by signal {-status}"
    return f"status {status}"


def _die_with(parent_pid: int) -> Callable[[], None]:
    """In the child, before exec: SIGTERM when the supervisor dies, however it dies."""

    def arrange() -> None:
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the supervisor died before the request took effect
            os._exit(1)

    return arrange


def waiting_for(children: Sequence[Child]) -> list[str]:
    return [c.name for c in children if c.state != "ready"]
