"""Token usage of one exchange, as the formats' usage readers fill it in.

The kinds overlap the way providers bill them: `input_tokens` includes the cache reads and
the cache writes, `output_tokens` includes the reasoning tokens. `cache_write_1h_tokens` is
the part of `cache_write_tokens` written for an hour (the rest is written for 5 minutes).
`estimated` is set when no usage report came and the numbers were counted from the bytes.
"""

import enum

import msgspec


class Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False


class Reported(enum.Flag):
    """Which sides of the usage a body reported as final.

    A stream may report one side early and the other at its end (Anthropic's message_start
    has the input and a provisional output count; message_delta the final output), so a
    stream that broke off in between is estimated on the missing side only.
    """

    NOTHING = 0
    INPUT = enum.auto()
    OUTPUT = enum.auto()
    BOTH = INPUT | OUTPUT
