"""One request's usage as its answer reported it, and an estimate for a stream that did not.

A stream without a usage report (the provider left it out, the client went away before it,
the provider's stream broke off) is never counted as 0: the side that was not reported is
estimated from what was relayed, and the usage is marked estimated. Prompt tokens come from
the request body's size, at the bytes per token the limits reserve by (the JSON around the
messages makes it a slight overestimate); output tokens from the generated text of the events
relayed (their deltas, not the SSE or JSON framing around them), at the same rate. Both are
rounded up: a request that sent or received anything used at least a token.
"""

from typing import Final

from ingate_edge.limits.estimate import BYTES_PER_TOKEN
from ingate_edge.sse_scan import event_data
from ingate_providers import ProviderFormat, Reported, Usage

# Deferred events held per stream at most (their data's bytes) before they are counted anyway.
DEFERRED_BYTES: Final = 16 * 1024


class UsageMeter:
    __slots__ = (
        "_deferred",
        "_deferred_bytes",
        "_deferred_fmt",
        "generated_bytes",
        "reported",
        "streamed",
        "usage",
    )

    def __init__(self) -> None:
        self.usage = Usage()
        self.reported = Reported.NOTHING
        self.streamed = False  # a stream was relayed: its missing report is estimated
        self.generated_bytes = 0  # counted so far; `estimate_missing` adds the deferred events
        self._deferred: list[bytes] = []
        self._deferred_bytes = 0
        self._deferred_fmt: ProviderFormat | None = None

    def read_body(self, fmt: ProviderFormat, body: bytes | str) -> None:
        """A whole (unstreamed) answer's usage."""
        self.reported |= fmt.read_usage(body, self.usage)

    def read_event(self, fmt: ProviderFormat, data: bytes | str, reports_usage: bool) -> None:
        """One stream event or line, in `fmt`; `reports_usage`: it passed the format's cheap
        usage test (most events do not)."""
        if reports_usage:
            self.reported |= fmt.read_usage(data, self.usage)
            if self.reported == Reported.BOTH:
                self._deferred.clear()  # no estimate will need them
                self._deferred_bytes = 0
        self.generated_bytes += fmt.generated_bytes(data)

    def defer_blocks(self, fmt: ProviderFormat, blocks: list[bytes], size: int) -> None:
        """SSE events (their lines, `sse_scan` blocks) that report no usage: their generated
        text counts only for an estimate, so they are decoded only if one is needed (or once
        DEFERRED_BYTES of them are held). `size`: their bytes, near enough."""
        if self.reported == Reported.BOTH or not blocks:
            return
        self._deferred.extend(blocks)
        self._deferred_fmt = fmt
        self._deferred_bytes += size
        if self._deferred_bytes > DEFERRED_BYTES:
            self._count_deferred()

    def _count_deferred(self) -> None:
        fmt = self._deferred_fmt
        if fmt is not None:
            self.generated_bytes += sum(fmt.generated_bytes(event_data(block)) for block in self._deferred)
        self._deferred.clear()
        self._deferred_bytes = 0

    def estimate_missing(self, request_bytes: int) -> None:
        """For a stream, whatever side was not reported, estimated; nothing for other answers."""
        if not self.streamed or self.reported == Reported.BOTH:
            return
        self._count_deferred()
        usage = self.usage
        if Reported.INPUT not in self.reported:
            usage.input_tokens = max(usage.input_tokens, -(-request_bytes // BYTES_PER_TOKEN))
        if Reported.OUTPUT not in self.reported:
            # A provisional count (message_start's) stays if the text relayed says less.
            usage.output_tokens = max(usage.output_tokens, -(-self.generated_bytes // BYTES_PER_TOKEN))
        usage.estimated = True
