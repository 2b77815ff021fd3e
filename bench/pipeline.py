"""How fast records go from JetStream into ClickHouse, and how soon each can be queried.

    python -m bench.pipeline [--events 150000] [--rate 1000] [--seconds 10] [--no-write]

1. Throughput: `--events` records are published to INGATE_EVENTS first; then one
   `ingate analytics` process (embedded ClickHouse) starts and drains them. Rate =
   records / time from its readiness to the last one stored.
2. Event-to-queryable: with the consumer caught up, records are published at `--rate`
   per second for `--seconds`; each record's lag is the time from its publish to the first
   moment the analytics service reports it stored (stored rows are immediately queryable).
Records are published as the edge publishes them: JetStream atomic batches (up to 512
records, one message each with `Nats-Msg-Id` = request id, `Nats-Batch-Id` and
`Nats-Batch-Sequence`, `Nats-Batch-Commit` on the last), so the consumer receives the same
headers. Everything runs on loopback; processes are started and stopped by the harness.
"""

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from nats.aio.client import Client

from bench.markdown import replace_section
from ingate_config import EventsConfig
from ingate_contracts import RequestRecord
from ingate_contracts.subjects import USAGE_QUERY_SUBJECT, events_subject
from ingate_contracts.usage import UsageReply
from ingate_nats import NatsServer, connect, ensure_event_streams

_encode = msgspec.json.Encoder().encode
_reply = msgspec.json.Decoder(UsageReply).decode
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- pipeline:start -->", "<!-- pipeline:end -->"


def _request_id(i: int, run: str) -> str:
    return f"req_{run}{i:012x}"


def _record(i: int, run: str) -> bytes:
    return _encode(
        RequestRecord(
            ts=time.time(),
            request_id=_request_id(i, run),
            key_id="key_bench",
            user_id=f"user_{i % 50}",
            session_id=f"sess_{i % 500}",
            provider="openai",
            model="gpt-4o",
            endpoint="chat.completions",
            status=200 if i % 20 else 500,
            input_tokens=20,
            output_tokens=40,
            cost_usd=0.0005,
            latency_ms=12.5,
        )
    )


class _ApiError(msgspec.Struct):
    description: str = ""


class _BatchAck(msgspec.Struct):
    count: int = 0
    error: _ApiError | None = None


_decode_ack = msgspec.json.Decoder(_BatchAck).decode
_BATCH = 512  # as the edge: below the server's limit of 1,000 messages per atomic batch
_batch_numbers = itertools.count(1)


async def _publish_batch(client: Client, run: str, numbers: range) -> None:
    """Records `numbers` as one atomic batch, as the edge publishes them."""
    batch_id = f"{os.getpid():x}-{run}-{next(_batch_numbers)}"
    subject = events_subject("openai")
    last = len(numbers)
    for sequence, i in enumerate(numbers, 1):
        data = _record(i, run)
        headers = {
            "Nats-Msg-Id": _request_id(i, run),
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(sequence),
        }
        if sequence < last:
            await client.publish(subject, data, headers=headers)
            continue
        headers["Nats-Batch-Commit"] = "1"
        ack = _decode_ack((await client.request(subject, data, timeout=10, headers=headers)).data)
        if ack.error is not None or ack.count != last:
            raise RuntimeError(f"atomic batch not stored: {ack}")


async def _publish(client: Client, count: int, run: str) -> None:
    for first in range(0, count, _BATCH):
        await _publish_batch(client, run, range(first, min(first + _BATCH, count)))


async def _stored(client: Client) -> int:
    try:
        msg = await client.request(USAGE_QUERY_SUBJECT, b'{"since_s": 1}', timeout=2)
    except Exception:
        return -1
    return _reply(msg.data).stats.inserted


def _start_analytics(nats_url: str, data_dir: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, INGATE_NATS_URL=nats_url, INGATE_DATA_DIR=data_dir, INGATE_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "ingate_cli", "analytics"], env=env)


async def run(events: int, rate: int, seconds: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="ingate-pipeline-"))
    with_socket = __import__("socket").socket()
    with_socket.bind(("127.0.0.1", 0))
    port = with_socket.getsockname()[1]
    with_socket.close()
    nats = NatsServer("127.0.0.1", port, work / "jetstream")
    nats.start()
    analytics: subprocess.Popen[bytes] | None = None
    results: dict[str, float] = {}
    try:
        client = await connect(nats.url, "bench-pipeline")
        await ensure_event_streams(client.jetstream(), EventsConfig())
        run_id = os.urandom(3).hex()
        t = time.perf_counter()
        await _publish(client, events, run_id)
        results["publish_per_s"] = events / (time.perf_counter() - t)

        analytics = _start_analytics(nats.url, str(work / "data"))
        while await _stored(client) < 0:  # ready once it answers
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        while (stored := await _stored(client)) < events:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
        results["drain_per_s"] = stored / elapsed
        results["drained"] = float(stored)

        lags = await _lags(client, rate, seconds, run_id, base=stored)
        results["lag_p50_s"] = statistics.median(lags)
        results["lag_p99_s"] = statistics.quantiles(lags, n=100)[98]
        results["lag_max_s"] = max(lags)
        await client.close()
    finally:
        if analytics is not None:
            analytics.terminate()
            analytics.wait(20)
        nats.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


async def _lags(client: Client, rate: int, seconds: int, run: str, base: int) -> list[float]:
    sent: list[float] = []

    async def producer() -> None:
        start = time.perf_counter()
        for i in range(rate * seconds):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.append(time.perf_counter())
            # One record per batch: at this rate the edge finds one record queued each time.
            await _publish_batch(client, run, range(10**9 + i, 10**9 + i + 1))

    seen_at: list[tuple[float, int]] = []
    task = asyncio.create_task(producer())
    total = rate * seconds
    while True:
        stored = await _stored(client) - base
        seen_at.append((time.perf_counter(), stored))
        if task.done() and stored >= total:
            break
        await asyncio.sleep(0.02)
    lags = []
    cursor = 0
    for i, published in enumerate(sent):
        while seen_at[cursor][1] < i + 1:
            cursor += 1
        lags.append(seen_at[cursor][0] - published)
    return lags


def _verdict(passed: bool) -> str:
    return "pass" if passed else "MISS"


def write_doc(results: dict[str, float], events: int, rate: int, seconds: int) -> None:
    section = "\n".join(
        [
            START,
            "## Analytics pipeline: JetStream → ClickHouse",
            "",
            f"- Command: `python -m bench.pipeline --events {events} --rate {rate} --seconds {seconds}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one `ingate analytics` process,"
            " embedded ClickHouse (chDB), batches of 5,000 / 500 ms, unpinned. Records published as the"
            " edge publishes them: atomic batches of up to 512, each message with `Nats-Msg-Id` and the"
            " `Nats-Batch-*` headers.",
            "",
            "| measure | result | target |",
            "|---|---|---|",
            f"| sustained records/s into ClickHouse (draining {int(results['drained']):,} queued) "
            f"| {results['drain_per_s']:,.0f} | ≥ 30,000 — {_verdict(results['drain_per_s'] >= 30000)} |",
            f"| event-to-queryable p50 at {rate:,}/s | {results['lag_p50_s'] * 1000:,.0f} ms | |",
            f"| event-to-queryable p99 at {rate:,}/s | {results['lag_p99_s'] * 1000:,.0f} ms "
            f"| ≤ 2,000 ms — {_verdict(results['lag_p99_s'] <= 2)} |",
            f"| event-to-queryable max | {results['lag_max_s'] * 1000:,.0f} ms | |",
            f"| publisher (harness) records/s to JetStream | {results['publish_per_s']:,.0f} | |",
            END,
        ]
    )
    replace_section(DOC, START, END, section)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.events, args.rate, args.seconds))
    for name, value in results.items():
        print(f"{name:>16}: {value:,.3f}")
    if not args.no_write:
        write_doc(results, args.events, args.rate, args.seconds)


if __name__ == "__main__":
    main()
