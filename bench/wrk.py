"""Driving wrk: a Lua script for the request, and a machine-readable summary back.

wrk's own text report rounds latencies; the script's `done` hook prints exact
microsecond percentiles on one tagged line that `parse_result` reads.
"""

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

JSON_BODY: Final = '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
# include_usage: the constant upstream always ends its stream with a usage chunk, and with it
# the translated stream has the same 12 chunks as the untranslated one.
STREAM_BODY: Final = (
    '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,'
    '"stream_options":{"include_usage":true}}'
)
PATH: Final = "/v1/chat/completions"

_TAG: Final = "INGATE_BENCH"
_FIELDS: Final = (
    "requests",
    "duration_us",
    "p50_us",
    "p90_us",
    "p99_us",
    "mean_us",
    "max_us",
    "err_connect",
    "err_read",
    "err_write",
    "err_status",
    "err_timeout",
)
_SOCKET_ERRORS: Final = ("err_connect", "err_read", "err_write", "err_timeout")

_FORMAT: Final = _TAG + " " + " ".join(f"{name}=%s" for name in _FIELDS) + "\\n"
_DONE_HOOK: Final = "\n".join(
    [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        f'  io.write(string.format("{_FORMAT}",',
        "    summary.requests, summary.duration,",
        "    latency:percentile(50), latency:percentile(90), latency:percentile(99),",
        "    latency.mean, latency.max,",
        "    e.connect, e.read, e.write, e.status, e.timeout))",
        "end",
        "",
    ]
)


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int
    non_2xx: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk not found; install it (Debian/Ubuntu: apt-get install wrk)")
    return found


def lua_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def script(body: str, api_key: str, headers: Mapping[str, str] | None = None) -> str:
    """A wrk script that POSTs `body` as JSON with a bearer key (and `headers`) and reports
    exact percentiles."""
    extra = [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items()]
    return "\n".join(
        [
            'wrk.method = "POST"',
            f"wrk.body = {lua_string(body)}",
            'wrk.headers["Content-Type"] = "application/json"',
            f'wrk.headers["Authorization"] = {lua_string("Bearer " + api_key)}',
            *extra,
            _DONE_HOOK,
        ]
    )


def command(url: str, script_path: Path, connections: int, duration_s: float, cpus: str | None) -> list[str]:
    """wrk with one thread (one CPU is all it gets), `connections` keep-alive connections."""
    pin = ["taskset", "-c", cpus] if cpus is not None else []
    return [
        *pin,
        wrk_binary(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script_path),
        url,
    ]


def run(argv: Sequence[str], duration_s: float) -> WrkResult:
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired:
        raise WrkError(f"wrk did not finish within {duration_s + 30:.0f}s") from None
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}")
    return parse_result(done.stdout)


def parse_result(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith(_TAG + " "):
            values = dict(item.split("=", 1) for item in line.split()[1:])
            try:
                numbers = {name: float(values[name]) for name in _FIELDS}
            except (KeyError, ValueError):
                break
            return WrkResult(
                requests=int(numbers["requests"]),
                duration_s=numbers["duration_us"] / 1e6,
                p50_ms=numbers["p50_us"] / 1000,
                p90_ms=numbers["p90_us"] / 1000,
                p99_ms=numbers["p99_us"] / 1000,
                mean_ms=numbers["mean_us"] / 1000,
                max_ms=numbers["max_us"] / 1000,
                errors=int(
                    sum(numbers[name] for name in ("err_connect", "err_read", "err_write", "err_timeout"))
                ),
                non_2xx=int(numbers["err_status"]),
            )
    raise WrkError(f"no result line in wrk's output: {output.strip()[-500:]}")
