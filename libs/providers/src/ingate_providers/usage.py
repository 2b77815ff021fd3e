"""Token usage of one exchange, as the formats' usage readers fill it in.

Input tokens always include cached ones; `cached_tokens` says how many of them were
cache reads.
"""

import msgspec


class Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
