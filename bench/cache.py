"""What a response-cache hit costs at the edge, beside forwarding: one stack, two keys, measured
in alternation.

    python -m bench.cache [--rounds 15] [--seconds 3] [--no-write]

One key is forwarded to the bench's upstream (a fixed answer, at once: the cheapest provider
there can be); the other has `cache_ttl`, so after its first request every one is answered from
the shared cache (a NATS Object Store read) with no upstream call. Both are measured back to back
in each round, in alternating order, against the same edge process (bench/paired.py says why).
A real provider takes hundreds of milliseconds to answer; the upstream here takes none, so this
compares a hit with the edge's own forwarding cost, the least a hit could save.
"""

import asyncio
import time
from typing import Final

from bench.paired import Runs, two_key_main, two_key_table
from bench.procs import ROOT, Stack, create_key
from ingate_contracts.key_limits import KeyChanges

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- cache:start -->", "<!-- cache:end -->"
AFTER: Final = "<!-- capture:end -->"
KEYS: Final = ("forwarded", "cached")


def _cached_key(stack: Stack) -> str:
    return asyncio.run(create_key(stack.nats.url, KeyChanges(cache_ttl=3600)))


def section(runs: Runs, rounds: int, seconds: int) -> str:
    return "\n".join(
        [
            START,
            "### Response cache: a hit beside forwarding, measured in alternation",
            "",
            f"- Command: `python -m bench.cache --rounds {rounds} --seconds {seconds}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one stack, a key forwarded to"
            " the bench's instant upstream and a key whose requests are all cache hits, measured back to"
            " back in each round (order alternating); figures are medians over rounds of the per-round"
            " comparison. A hit makes no upstream call: against a real provider it saves the provider's"
            " whole answer time (hundreds of ms) and its cost; here the upstream answers at once, so the"
            " comparison shows what the cache read itself costs.",
            "",
            *two_key_table(runs, ("forwarded", "cache hit")),
            END,
        ]
    )


def main() -> None:
    two_key_main("python -m bench.cache", __doc__ or "", KEYS, _cached_key, section, (DOC, START, END, AFTER))


if __name__ == "__main__":
    main()
