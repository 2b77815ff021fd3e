"""Reading what each key has spent in a calendar month (UTC), from the bucket the edges add to.

Values are micro-USD as ASCII digits under `spend_entry(key_id, month)`. The edges create the
bucket on their first charge, so a missing bucket or entry means nothing was spent.
"""

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Final

from nats.aio.client import Client
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from ingate_contracts.subjects import SPEND_BUCKET, spend_entry

# More digits than any real month's spend could need; a longer value is not a number we wrote.
_MAX_DIGITS: Final = 18


def month_of(when: dt.datetime) -> str:
    """The month a spend is counted in, e.g. 2026-05 (UTC)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m")


async def read_spend(client: Client, key_ids: Iterable[str], month: str) -> dict[str, int | None]:
    """Micro-USD spent by each key in `month`: 0 when nothing is recorded, None when the stored
    value is not a number (so a caller can say "unknown" rather than show a wrong figure)."""
    ids = list(dict.fromkeys(key_ids))
    try:
        bucket = await client.jetstream().key_value(SPEND_BUCKET)
    except BucketNotFoundError:
        return dict.fromkeys(ids, 0)
    amounts = await asyncio.gather(*(_read_one(bucket, spend_entry(key_id, month)) for key_id in ids))
    return dict(zip(ids, amounts, strict=True))


async def _read_one(bucket: KeyValue, entry_name: str) -> int | None:
    try:
        entry = await bucket.get(entry_name)
    except KeyNotFoundError:  # never charged, or deleted / purged
        return 0
    value = entry.value or b""
    if not value:
        return 0
    if len(value) > _MAX_DIGITS or not value.isdigit():
        return None
    return int(value)
