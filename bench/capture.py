"""What payload capture costs the edge: one stack, two keys, measured in alternation.

    python -m bench.capture [--rounds 15] [--seconds 3] [--no-write]

One key is not captured (payload capture off: the edge checks one attribute); the other has
`log_payloads`, so each of its requests keeps its bodies, is redacted and cut at settle
time, and publishes a PayloadRecord after its record. Both keys are measured back to back
in each round, in alternating order, against the same edge process (bench/paired.py says
why); the edge's CPU time per request is what capture adds, without the queueing.
"""

import asyncio
import time
from typing import Final

from bench.paired import Runs, two_key_main, two_key_table
from bench.procs import ROOT, Stack, create_key
from ingate_contracts.key_limits import KeyChanges

DOC: Final = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- capture:start -->", "<!-- capture:end -->"
AFTER: Final = "<!-- limits:end -->"
KEYS: Final = ("off", "captured")


def _captured_key(stack: Stack) -> str:
    return asyncio.run(create_key(stack.nats.url, KeyChanges(log_payloads=True)))


def section(runs: Runs, rounds: int, seconds: int) -> str:
    return "\n".join(
        [
            START,
            "### Payload capture, measured in alternation",
            "",
            f"- Command: `python -m bench.capture --rounds {rounds} --seconds {seconds}`"
            " (part of `make bench`)",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one stack, a key whose"
            " requests are not captured and a key with `log_payloads`, measured back to back in each"
            " round (order alternating); figures are medians over rounds of the per-round comparison."
            " The captured key's bodies are small JSON (the usual chat request and answer), so this is"
            " the fixed cost per request: redaction and the publish, not size.",
            "",
            *two_key_table(runs, ("capture off", "capture on")),
            END,
        ]
    )


def main() -> None:
    two_key_main(
        "python -m bench.capture", __doc__ or "", KEYS, _captured_key, section, (DOC, START, END, AFTER)
    )


if __name__ == "__main__":
    main()
