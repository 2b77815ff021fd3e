"""A cooldown as the edges share it: one entry per target in the cooldowns bucket."""

import base64
from typing import Annotated, Final

import msgspec

# Far beyond any real `until` (year 5138): a larger or infinite one is not a value an edge wrote.
_MAX_UNTIL: Final = 1e11


class CooldownEntry(msgspec.Struct, frozen=True):
    target: Annotated[str, msgspec.Meta(min_length=1)]  # the target id, in clear (the key is encoded)
    # Unix seconds; absolute so that every edge agrees (their clocks are assumed NTP-synced).
    # Past it the target is half-open, not cooling.
    until: Annotated[float, msgspec.Meta(gt=0.0, le=_MAX_UNTIL)]
    reason: str = ""  # why it started, e.g. "upstream_429", "upstream_500", "connect", "timeout"
    set_by: str = ""  # the edge that wrote it


encode_entry = msgspec.json.Encoder().encode
decode_entry = msgspec.json.Decoder(CooldownEntry).decode


def entry_key(target_id: str) -> str:
    """The target's key in the bucket. Model names may hold characters a KV key may not
    (`llama3:8b`, `@`, spaces): base64url without padding uses only letters, digits, - and _."""
    return base64.urlsafe_b64encode(target_id.encode()).rstrip(b"=").decode("ascii")
