"""What a one-target route costs the edge in CPU, measured in-process to see a few µs.

    python -m bench.routing_cpu [--rounds 24] [--block 500] [--no-write]

bench.routing measures the same at process level with wrk, where one round's noise is tens of
µs per request. Here the edge's `Proxy` runs in this process, called directly with the ASGI
messages uvicorn would pass it, against the real constant upstream and NATS (records
published, keys from the KV mirror). CPU time of this process is read around blocks of
sequential requests: plain (`"model": "gpt-4o"`) and through route `one` (its single target
is that same provider and model). Each round is A B B A (plain, route, route, plain) and
then the same with plain blocks on both sides, the control that shows the method's own
noise; within a round, linear drift cancels. Process CPU also covers driving the ASGI
calls and aiohttp's side of the upstream exchange, the same for both variants, so the
difference is the route's extra work in the edge.
"""

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Final

import uvloop

from bench import wrk
from bench.markdown import section_main
from bench.procs import HOST, ROOT, Pinning, Stack, StackError
from bench.routing import END as ROUTING_END
from ingate_config import load_settings
from ingate_edge.proxy import Proxy
from ingate_edge.runtime import EdgeRuntime

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- routing-cpu:start -->", "<!-- routing-cpu:end -->"
MODEL: Final = "gpt-4o"
ROUTES_YAML: Final = f"- name: one\n  targets:\n    - provider: openai\n      model: {MODEL}\n"
TARGET_LABEL: Final = f"openai/{MODEL}".encode()
BODIES: Final = {
    "plain": wrk.JSON_BODY.encode(),
    "route": wrk.JSON_BODY.replace(f'"model":"{MODEL}"', '"model":"one"').encode(),
}
_WARMUP: Final = 3_000  # requests per variant before measuring: pools, caches, code paths warm
_SETTLE_S: Final = 0.05  # after a block, let its records' background publishing run inside it
_READY_S: Final = 30.0

Message = dict[str, Any]


@dataclass
class Runs:
    """Per round: CPU µs/request of each block kind, and the two A B B A comparisons."""

    plain_us: list[float] = field(default_factory=list)
    route_us: list[float] = field(default_factory=list)
    added_us: list[float] = field(default_factory=list)
    control_us: list[float] = field(default_factory=list)


class Client:
    """Requests straight into the edge's ASGI handler, scoped as uvicorn scopes them."""

    def __init__(self, proxy: Proxy, api_key: str) -> None:
        self.proxy = proxy
        self.api_key = api_key.encode()

    def _scope(self, body: bytes) -> dict[str, Any]:
        path = wrk.PATH
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": (HOST, 8000),
            "client": (HOST, 50000),
            "scheme": "http",
            "root_path": "",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [
                (b"host", f"{HOST}:8000".encode()),
                (b"authorization", b"Bearer " + self.api_key),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }

    async def request(self, body: bytes) -> list[Message]:
        """One request; the messages the edge sent back."""
        sent: list[Message] = []
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if delivered:  # only a streamed answer reads on, to notice the client leaving
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await self.proxy(self._scope(body), receive, send)
        return sent

    async def block(self, body: bytes, count: int) -> float:
        """CPU µs per request over `count` sequential requests."""
        started = time.process_time()
        for _ in range(count):
            sent = await self.request(body)
            if sent[0]["status"] != 200:
                raise StackError(f"answered {sent[0]['status']}: {sent[1:]!r:.300}")
        await asyncio.sleep(_SETTLE_S)
        return (time.process_time() - started) * 1e6 / count

    async def check_route(self) -> None:
        sent = await self.request(BODIES["route"])
        headers = dict(sent[0].get("headers", []))
        if sent[0]["status"] != 200 or headers.get(b"x-ingate-target") != TARGET_LABEL:
            raise StackError(f"route answered {sent[0]['status']} from {headers.get(b'x-ingate-target')!r}")


async def _runtime(stack: Stack) -> EdgeRuntime:
    routes = stack.workdir / "routes.yaml"
    routes.write_text(ROUTES_YAML, encoding="utf-8")
    # Only these settings: INGATE_ variables in the caller's environment must not change
    # what is measured. Records are published, as on the real path.
    settings = load_settings(
        environ={
            "INGATE_NATS_URL": stack.nats.url,
            "INGATE_OPENAI_BASE_URL": stack.upstream_url + "/v1",
            "INGATE_OPENAI_API_KEY": "sk-bench-upstream",
            "INGATE_ROUTES_FILE": str(routes),
            "INGATE_DATA_DIR": str(stack.workdir / "data"),
        }
    )
    runtime = EdgeRuntime(settings)
    await runtime.start()
    deadline = time.monotonic() + _READY_S
    while not (runtime.keys.loaded.is_set() and runtime.keys.lookup(stack.api_key) is not None):
        if time.monotonic() > deadline:
            await runtime.stop()
            raise StackError(f"the key was not in the edge's key mirror within {_READY_S:g}s")
        await asyncio.sleep(0.05)
    return runtime


async def _abba(client: Client, a: bytes, b: bytes, count: int) -> tuple[float, float]:
    """Mean CPU µs/request of the A blocks and of the B blocks, run A B B A."""
    a1 = await client.block(a, count)
    b1 = await client.block(b, count)
    b2 = await client.block(b, count)
    a2 = await client.block(a, count)
    return (a1 + a2) / 2, (b1 + b2) / 2


async def _measure(stack: Stack, rounds: int, count: int) -> Runs:
    runtime = await _runtime(stack)
    runs = Runs()
    try:
        client = Client(Proxy(runtime), stack.api_key)
        await client.check_route()
        for body in BODIES.values():
            await client.block(body, _WARMUP)
        plain, route = BODIES["plain"], BODIES["route"]
        for round_ in range(rounds):
            plain_us, route_us = await _abba(client, plain, route, count)
            plain_a, plain_b = await _abba(client, plain, plain, count)
            runs.plain_us.append(plain_us)
            runs.route_us.append(route_us)
            runs.added_us.append(route_us - plain_us)
            runs.control_us.append(plain_b - plain_a)
            print(
                f"round {round_ + 1}/{rounds}: plain {plain_us:.1f}, route {route_us:.1f} µs/req"
                f" ({runs.added_us[-1]:+.1f}); control {runs.control_us[-1]:+.1f} µs",
                file=sys.stderr,
                flush=True,
            )
    finally:
        await runtime.stop()
    return runs


def measure(rounds: int, count: int) -> tuple[Runs, Pinning]:
    pinning = Pinning.detect()
    stack = Stack(pinning)
    try:
        stack.start_upstream()
        if pinning.edge_cpu is not None:
            # NATS and the upstream run on the support CPU; the edge (this process) on its own.
            os.sched_setaffinity(0, {pinning.edge_cpu})
        runs = uvloop.run(_measure(stack, rounds, count))  # the loop the edge serves on
    finally:
        stack.close()
    return runs, pinning


def _spread(values: list[float]) -> str:
    # Quartiles as well as the range: one block hit by other load on a shared machine sets
    # the range, the middle half shows how the rounds agree.
    low, _, high = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return f"middle half {low:+.1f} … {high:+.1f}, range {min(values):+.1f} … {max(values):+.1f} µs"


def section(runs: Runs, rounds: int, count: int, pinning: Pinning) -> str:
    median = statistics.median
    added = median(runs.added_us)
    return "\n".join(
        [
            START,
            "### Routing's CPU, measured in-process (issue 12 target)",
            "",
            f"- Command: `python -m bench.routing_cpu --rounds {rounds} --block {count}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {pinning.describe()}"
            " (here the edge is the harness's own process, and there is no translator or wrk).",
            "- The edge's `Proxy` (with its `EdgeRuntime`: upstream pools, NATS key mirror, records"
            " published) called in-process with the ASGI messages uvicorn passes it, on uvloop, for"
            f" `POST {wrk.PATH}`; the real constant upstream and nats-server. Plain:"
            f' `"model": "{MODEL}"`; route `one`: a single target, openai/{MODEL}'
            " (every answer checked for 200; the route's X-Ingate-Target before measuring).",
            f"- CPU per request: `time.process_time()` over a block of {count:,} sequential requests,"
            f" after {_WARMUP:,} warm-up requests of each. Each of {rounds} rounds: plain, route, route,"
            " plain (A B B A, so linear drift cancels), difference = mean(route) - mean(plain); then"
            " the same with plain on both sides as the control, the method's own noise.",
            "- Process CPU includes driving the ASGI calls and aiohttp's side of the upstream"
            " exchange, the same for both variants: the difference is the route's extra edge work."
            " Medians over rounds, with the middle half and the range of the rounds.",
            "",
            "| plain | route `one` | difference | control: plain - plain | target |",
            "|---:|---:|---:|---:|---|",
            f"| {median(runs.plain_us):.1f} µs | {median(runs.route_us):.1f} µs"
            f" | {added:+.1f} µs ({_spread(runs.added_us)})"
            f" | {median(runs.control_us):+.1f} µs ({_spread(runs.control_us)})"
            f" | ≤ +5 µs — {'pass' if added <= 5 else '**MISS**'} |",
            END,
        ]
    )


def _measured(rounds: int, block: int) -> str:
    runs, pinning = measure(rounds, block)
    return section(runs, rounds, block, pinning)


def main() -> None:
    section_main(
        "python -m bench.routing_cpu",
        __doc__ or "",
        (("rounds", 24, None), ("block", 500, "requests per measured block")),
        _measured,
        (DOC, START, END, ROUTING_END),
    )


if __name__ == "__main__":
    main()
