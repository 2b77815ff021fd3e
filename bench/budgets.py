"""What a budget adds to admission far from its end: one edge's limiter on a real NATS.

    python -m bench.budgets [--admissions 100000] [--repeats 5] [--no-write]

Times, in process, what the edge does per request for a key's limits: the request's maximum
cost (prompt estimate, output cap, price), `admit_now` (or `admit` when that needs NATS) and
`settle` with the spend book's `add`. Two keys: one with a 10⁹ USD budget, one without a
budget; both have an rpm of 10⁹ so that both go through the limiter, and the difference is
the budget alone. Reported: the best of the repeats in µs per request, and how many requests
of the budgeted key had to wait for NATS (a new claim).
"""

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Final

from bench.markdown import section_main
from bench.procs import ROOT, free_port
from ingate_contracts import KeyRecord
from ingate_edge.limits import Limiter, SharedBuckets, SpendBook
from ingate_edge.limits.estimate import BUDGET_OUTPUT_TOKENS, request_size
from ingate_edge.probe import probe_body
from ingate_nats import NatsServer, connect
from ingate_nats.buckets import limits_bucket
from ingate_pricing import PriceTable

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- budgets:start -->", "<!-- budgets:end -->"
LIMITS_END: Final = "<!-- limits:end -->"  # the section this one sits after
BODY: Final = b'{"model":"gpt-4o","max_tokens":20,"messages":[{"role":"user","content":"hello"}]}'
_READY_S: Final = 20.0


class Result:
    def __init__(self) -> None:
        self.us: dict[str, float] = {}
        self.waited = 0  # budgeted requests that needed NATS, in the best repeat


def _keys() -> dict[str, KeyRecord]:
    made = "2026-01-01T00:00:00+00:00"
    return {
        "no budget": KeyRecord(key_id="key_benchnobudget", created_at=made, rpm=10**9),
        "budget": KeyRecord(key_id="key_benchbudget0", created_at=made, rpm=10**9, budget_usd=10**9),
    }


async def _run(admissions: int, repeats: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="ingate-bench-budgets-") as tmp:
        server = NatsServer("127.0.0.1", free_port(), Path(tmp) / "jetstream")
        server.start()
        try:
            client = await connect(server.url, "bench-budgets")
            book = SpendBook()
            book.start(client)
            limiter = Limiter(book)
            limiter.attach(SharedBuckets(await limits_bucket(client)))
            await asyncio.wait_for(book.mirror.loaded.wait(), _READY_S)
            result = await _measure(limiter, book, admissions, repeats)
            await limiter.stop()
            await book.stop()
            await client.close()
            return result
        finally:
            server.stop()


async def _measure(limiter: Limiter, book: SpendBook, admissions: int, repeats: int) -> Result:
    prices = PriceTable.shipped()
    probe = probe_body(BODY, b"application/json")
    result = Result()
    for name, key in _keys().items():
        best = float("inf")
        for _ in range(repeats + 1):  # the first is a warm-up
            waited = 0
            started = time.perf_counter()
            for i in range(admissions):
                ceiling = 0.0
                if key.budget_usd is not None:
                    prompt, output = request_size("chat.completions", len(BODY), probe, BUDGET_OUTPUT_TOKENS)
                    ceiling = prices.ceiling("gpt-4o", prompt, output, "openai")
                now = time.time()
                admission = limiter.admit_now(key, "", 0, now, ceiling)
                if admission is None:
                    waited += 1
                    admission = await limiter.admit(key, "", 0, now, ceiling)
                limiter.settle(admission, 0, 0.0001)
                book.add(key.key_id, 0.0001, now)
                if i % 1000 == 999:
                    await asyncio.sleep(0)  # the flush and sync loops run, as between requests
            elapsed = time.perf_counter() - started
            if elapsed < best:
                best = elapsed
                if key.budget_usd is not None:
                    result.waited = waited
        result.us[name] = best * 1e6 / admissions
    return result


def section(result: Result, admissions: int, repeats: int) -> str:
    plain, budget = result.us["no budget"], result.us["budget"]
    return "\n".join(
        [
            START,
            "### Budget reservations, far from the budget (issue 13)",
            "",
            f"- Command: `python -m bench.budgets --admissions {admissions} --repeats {repeats}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; in process, one real NATS;"
            " per request: maximum cost, admission, settlement and spend (best of the repeats).",
            "",
            "| key | µs per request | needed NATS |",
            "|---|---:|---:|",
            f"| rpm 10⁹, no budget | {plain:.2f} | 0 |",
            f"| rpm 10⁹, 10⁹ USD budget | {budget:.2f} | {result.waited} of {admissions:,} |",
            f"| budget adds | {budget - plain:+.2f} | |",
            END,
        ]
    )


def main() -> None:
    section_main(
        "python -m bench.budgets",
        __doc__ or "",
        (("admissions", 100_000, None), ("repeats", 5, None)),
        lambda admissions, repeats: section(asyncio.run(_run(admissions, repeats)), admissions, repeats),
        (DOC, START, END, LIMITS_END),
    )


if __name__ == "__main__":
    main()
